-- ---
-- name: access_key_activity
-- title: Everything one access key did
-- description: >
--   Every event signed with the given access key id (long-term AKIA or session ASIA),
--   across accounts and regions, in time order: the first pivot from a leaked key.
-- mitre: [T1078.004]
-- severity: info
-- tables: [cloudtrail]
-- parameters:
--   access_key: {type: string, default: null, description: Access key id (AKIA... or ASIA...) to follow; required}
-- ---
SELECT eventtime, account, region, eventid, eventsource, eventname,
       useridentity.arn AS principal, sourceipaddress, useragent, errorcode,
       useridentity.accesskeyid AS access_key, requestparameters, responseelements
FROM cloudtrail
WHERE from_iso8601_timestamp(eventtime) BETWEEN :start AND :end
  AND (cardinality(:accounts) = 0 OR account IN (:accounts))
  AND (cardinality(:regions) = 0 OR region IN (:regions))
  AND useridentity.accesskeyid = :access_key
ORDER BY eventtime
