-- ---
-- name: s3_bucket_made_public
-- title: S3 bucket policy or ACL made public
-- description: >
--   PutBucketPolicy with an Allow statement for Principal "*" (without a condition), or
--   PutBucketAcl/PutObjectAcl granting AllUsers or AuthenticatedUsers: data opened to the
--   internet.
-- mitre: [T1530, T1537]
-- severity: high
-- tables: [cloudtrail]
-- ---
SELECT eventtime, account, region, eventid, eventsource, eventname,
       useridentity.arn AS principal, sourceipaddress, useragent, errorcode,
       json_extract_scalar(requestparameters, '$.bucketName') AS bucket
FROM cloudtrail
WHERE from_iso8601_timestamp(eventtime) BETWEEN :start AND :end
  AND (cardinality(:accounts) = 0 OR account IN (:accounts))
  AND (cardinality(:regions) = 0 OR region IN (:regions))
  AND eventsource = 's3.amazonaws.com'
  AND errorcode IS NULL
  AND (
    (eventname = 'PutBucketPolicy'
     AND regexp_like(json_format(json_extract(requestparameters, '$.bucketPolicy')),
                     '"Principal"\s*:\s*(\{\s*"AWS"\s*:\s*)?(\[\s*)?"\*"')
     AND NOT regexp_like(json_format(json_extract(requestparameters, '$.bucketPolicy')), '"Condition"'))
    OR (eventname IN ('PutBucketAcl', 'PutObjectAcl')
        AND (strpos(requestparameters, 'http://acs.amazonaws.com/groups/global/AllUsers') > 0
             OR strpos(requestparameters, 'http://acs.amazonaws.com/groups/global/AuthenticatedUsers') > 0
             OR json_extract_scalar(requestparameters, '$["x-amz-acl"]') IN ('public-read', 'public-read-write', 'authenticated-read')))
  )
ORDER BY eventtime
