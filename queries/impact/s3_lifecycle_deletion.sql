-- ---
-- name: s3_lifecycle_deletion
-- title: S3 lifecycle rule that deletes data quickly
-- description: >
--   PutBucketLifecycle with an expiration of at most max_days days: S3 itself deletes the
--   objects (a way to destroy logs or data without DeleteObject calls).
-- mitre: [T1485]
-- severity: high
-- tables: [cloudtrail]
-- parameters:
--   max_days: {type: int, default: 7, description: Expiration in days at or below which a rule counts as destructive}
-- ---
SELECT eventtime, account, region, eventid, eventsource, eventname,
       useridentity.arn AS principal, sourceipaddress, useragent, errorcode,
       json_extract_scalar(requestparameters, '$.bucketName') AS bucket,
       regexp_extract(json_format(json_extract(requestparameters, '$.LifecycleConfiguration')), '"Days"\s*:\s*"?([0-9]+)', 1) AS expiration_days
FROM cloudtrail
WHERE from_iso8601_timestamp(eventtime) BETWEEN :start AND :end
  AND (cardinality(:accounts) = 0 OR account IN (:accounts))
  AND (cardinality(:regions) = 0 OR region IN (:regions))
  AND eventsource = 's3.amazonaws.com'
  AND eventname IN ('PutBucketLifecycle', 'PutBucketLifecycleConfiguration')
  AND errorcode IS NULL
  AND CAST(regexp_extract(json_format(json_extract(requestparameters, '$.LifecycleConfiguration')),
                          '"Expiration"\s*:\s*\{[^}]*"Days"\s*:\s*"?([0-9]+)', 1) AS integer) <= :max_days
ORDER BY eventtime
