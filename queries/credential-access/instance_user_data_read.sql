-- ---
-- name: instance_user_data_read
-- title: EC2 user data read for many instances
-- description: >
--   DescribeInstanceAttribute for userData by one principal across instances within an
--   hour: user data scripts often hold passwords and keys.
-- mitre: [T1552.005]
-- severity: medium
-- tables: [cloudtrail]
-- parameters:
--   min_instances: {type: int, default: 3, description: Distinct instances whose user data one principal reads in one hour}
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
  AND eventname = 'DescribeInstanceAttribute'
  AND json_extract_scalar(requestparameters, '$.attribute') = 'userData'
GROUP BY account, useridentity.arn, date_trunc('hour', from_iso8601_timestamp(eventtime))
HAVING count(DISTINCT json_extract_scalar(requestparameters, '$.instanceId')) >= :min_instances
ORDER BY instances DESC
