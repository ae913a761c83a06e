-- ---
-- name: cloudtrail_tampering
-- title: CloudTrail stopped, deleted or narrowed
-- description: >
--   StopLogging, DeleteTrail, UpdateTrail and PutEventSelectors/PutInsightSelectors,
--   successful or not: an attempt to blind the organization's audit trail.
-- mitre: [T1562.008]
-- severity: critical
-- tables: [cloudtrail]
-- ---
SELECT eventtime, account, region, eventid, eventsource, eventname,
       useridentity.arn AS principal, sourceipaddress, useragent, errorcode,
       coalesce(json_extract_scalar(requestparameters, '$.name'),
                json_extract_scalar(requestparameters, '$.trailName')) AS trail
FROM cloudtrail
WHERE from_iso8601_timestamp(eventtime) BETWEEN :start AND :end
  AND (cardinality(:accounts) = 0 OR account IN (:accounts))
  AND (cardinality(:regions) = 0 OR region IN (:regions))
  AND eventsource = 'cloudtrail.amazonaws.com'
  AND eventname IN ('StopLogging', 'DeleteTrail', 'UpdateTrail', 'PutEventSelectors',
                    'PutInsightSelectors', 'DeleteEventDataStore', 'StopEventDataStoreIngestion')
ORDER BY eventtime
