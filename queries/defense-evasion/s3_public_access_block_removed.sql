-- ---
-- name: s3_public_access_block_removed
-- title: S3 Block Public Access removed or weakened
-- description: >
--   DeleteBucketPublicAccessBlock, DeleteAccountPublicAccessBlock, or a
--   PutBucketPublicAccessBlock/PutAccountPublicAccessBlock with any of its four settings
--   false: the guard that keeps buckets private taken away.
-- mitre: [T1562.007, T1530]
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
  AND eventsource IN ('s3.amazonaws.com', 's3-control.amazonaws.com')
  AND errorcode IS NULL
  AND (eventname IN ('DeleteBucketPublicAccessBlock', 'DeleteAccountPublicAccessBlock')
       OR (eventname IN ('PutBucketPublicAccessBlock', 'PutAccountPublicAccessBlock')
           AND regexp_like(requestparameters, '"(BlockPublicAcls|IgnorePublicAcls|BlockPublicPolicy|RestrictPublicBuckets)"\s*:\s*"?false')))
ORDER BY eventtime
