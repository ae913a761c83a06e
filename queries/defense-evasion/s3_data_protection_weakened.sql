-- ---
-- name: s3_data_protection_weakened
-- title: S3 bucket encryption removed, versioning suspended, logging or replication cut
-- description: >
--   DeleteBucketEncryption, versioning suspended or MFA delete disabled, access logging
--   turned off, replication deleted: the protections that let you recover and investigate.
-- mitre: [T1562.001, T1490]
-- severity: medium
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
  AND (eventname IN ('DeleteBucketEncryption', 'DeleteBucketReplication')
       OR (eventname = 'PutBucketVersioning'
           AND (json_extract_scalar(requestparameters, '$.VersioningConfiguration.Status') IN ('Suspended', 'Disabled')
                OR json_extract_scalar(requestparameters, '$.VersioningConfiguration.MfaDelete') = 'Disabled'))
       OR (eventname = 'PutBucketLogging'
           AND json_extract(requestparameters, '$.BucketLoggingStatus.LoggingEnabled') IS NULL))
ORDER BY eventtime
