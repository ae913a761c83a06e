-- ---
-- name: access_denied_spike
-- title: Spike of AccessDenied errors for one principal
-- description: >
--   A principal collecting many AccessDenied / UnauthorizedOperation errors within an
--   hour: someone probing what stolen credentials may do.
-- mitre: [T1580, T1069.003]
-- severity: medium
-- tables: [cloudtrail]
-- parameters:
--   min_errors: {type: int, default: 10, description: Access errors by one principal in one hour that make a spike}
-- ---
SELECT account, useridentity.arn AS principal,
       date_trunc('hour', from_iso8601_timestamp(eventtime)) AS hour,
       count(*) AS errors, count(DISTINCT eventname) AS apis,
       array_agg(DISTINCT eventname) AS event_names,
       min(eventtime) AS first_seen, max(eventtime) AS last_seen,
       array_agg(eventid) AS eventids
FROM cloudtrail
WHERE from_iso8601_timestamp(eventtime) BETWEEN :start AND :end
  AND (cardinality(:accounts) = 0 OR account IN (:accounts))
  AND (cardinality(:regions) = 0 OR region IN (:regions))
  AND (errorcode IN ('AccessDenied', 'AccessDeniedException', 'Client.UnauthorizedOperation',
                     'UnauthorizedOperation', 'Client.UnauthorizedAccess', 'UnauthorizedAccess')
       OR errorcode LIKE '%AccessDenied%')
  AND useridentity.invokedby IS NULL
GROUP BY account, useridentity.arn, date_trunc('hour', from_iso8601_timestamp(eventtime))
HAVING count(*) >= :min_errors
ORDER BY errors DESC
