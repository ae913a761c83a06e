-- ---
-- name: s3_bulk_object_download
-- title: Bulk S3 object downloads by one principal
-- description: >
--   GetObject data events grouped by principal, source IP and bucket per hour, above a
--   threshold: data being pulled out in bulk (needs S3 data events in the trail).
-- mitre: [T1530]
-- severity: medium
-- tables: [cloudtrail]
-- parameters:
--   min_objects: {type: int, default: 50, description: Distinct objects downloaded in one hour that make a burst}
-- ---
SELECT account, useridentity.arn AS principal, sourceipaddress,
       json_extract_scalar(requestparameters, '$.bucketName') AS bucket,
       date_trunc('hour', from_iso8601_timestamp(eventtime)) AS hour,
       count(DISTINCT json_extract_scalar(requestparameters, '$.key')) AS objects,
       min(eventtime) AS first_seen, max(eventtime) AS last_seen,
       array_agg(eventid) AS eventids
FROM cloudtrail
WHERE from_iso8601_timestamp(eventtime) BETWEEN :start AND :end
  AND (cardinality(:accounts) = 0 OR account IN (:accounts))
  AND (cardinality(:regions) = 0 OR region IN (:regions))
  AND eventsource = 's3.amazonaws.com'
  AND eventname = 'GetObject'
  AND errorcode IS NULL
GROUP BY account, useridentity.arn, sourceipaddress, json_extract_scalar(requestparameters, '$.bucketName'),
         date_trunc('hour', from_iso8601_timestamp(eventtime))
HAVING count(DISTINCT json_extract_scalar(requestparameters, '$.key')) >= :min_objects
ORDER BY objects DESC
