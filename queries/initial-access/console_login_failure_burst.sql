-- ---
-- name: console_login_failure_burst
-- title: Burst of failed console sign-ins
-- description: >
--   Failed ConsoleLogin events grouped by source IP and hour: password guessing against
--   one user, or spraying across many users from one address.
-- mitre: [T1110.001, T1110.003]
-- severity: medium
-- tables: [cloudtrail]
-- parameters:
--   min_failures: {type: int, default: 5, description: Failed sign-ins from one IP in one hour that make a burst}
-- ---
SELECT account, sourceipaddress,
       date_trunc('hour', from_iso8601_timestamp(eventtime)) AS hour,
       count(*) AS failures,
       count(DISTINCT coalesce(useridentity.username, useridentity.arn, useridentity.type)) AS users,
       array_agg(DISTINCT coalesce(useridentity.username, useridentity.arn, useridentity.type)) AS user_names,
       min(eventtime) AS first_seen, max(eventtime) AS last_seen,
       array_agg(eventid) AS eventids
FROM cloudtrail
WHERE from_iso8601_timestamp(eventtime) BETWEEN :start AND :end
  AND (cardinality(:accounts) = 0 OR account IN (:accounts))
  AND (cardinality(:regions) = 0 OR region IN (:regions))
  AND eventname = 'ConsoleLogin'
  AND (json_extract_scalar(responseelements, '$.ConsoleLogin') = 'Failure' OR errormessage = 'Failed authentication')
GROUP BY account, sourceipaddress, date_trunc('hour', from_iso8601_timestamp(eventtime))
HAVING count(*) >= :min_failures
ORDER BY failures DESC
