-- ---
-- name: get_password_data_burst
-- title: Burst of GetPasswordData calls
-- description: >
--   One principal asking for the Windows administrator password of many instances (or
--   the same one many times) within an hour, successful or denied.
-- mitre: [T1552.005]
-- severity: high
-- tables: [cloudtrail]
-- parameters:
--   min_calls: {type: int, default: 5, description: GetPasswordData calls by one principal in one hour that make a burst}
-- ---
SELECT account, useridentity.arn AS principal,
       date_trunc('hour', from_iso8601_timestamp(eventtime)) AS hour,
       count(*) AS calls, count(DISTINCT json_extract_scalar(requestparameters, '$.instanceId')) AS instances,
       count_if(errorcode IS NOT NULL) AS denied,
       min(eventtime) AS first_seen, max(eventtime) AS last_seen,
       array_agg(eventid) AS eventids
FROM cloudtrail
WHERE from_iso8601_timestamp(eventtime) BETWEEN :start AND :end
  AND (cardinality(:accounts) = 0 OR account IN (:accounts))
  AND (cardinality(:regions) = 0 OR region IN (:regions))
  AND eventsource = 'ec2.amazonaws.com'
  AND eventname = 'GetPasswordData'
GROUP BY account, useridentity.arn, date_trunc('hour', from_iso8601_timestamp(eventtime))
HAVING count(*) >= :min_calls
ORDER BY calls DESC
