-- ---
-- name: root_activity
-- title: Root user activity
-- description: >
--   Any API call or sign-in made with an account's root user credentials. The root user
--   should be locked away; outside break-glass procedures every call is worth a look.
--   Calls AWS makes on the root's behalf (invokedby set, AwsServiceEvent) are left out.
-- mitre: [T1078.004]
-- severity: high
-- tables: [cloudtrail]
-- ---
SELECT eventtime, account, region, eventid, eventsource, eventname,
       useridentity.arn AS principal, sourceipaddress, useragent, errorcode
FROM cloudtrail
WHERE from_iso8601_timestamp(eventtime) BETWEEN :start AND :end
  AND (cardinality(:accounts) = 0 OR account IN (:accounts))
  AND (cardinality(:regions) = 0 OR region IN (:regions))
  AND useridentity.type = 'Root'
  AND useridentity.invokedby IS NULL
  AND coalesce(eventtype, '') <> 'AwsServiceEvent'
ORDER BY eventtime
