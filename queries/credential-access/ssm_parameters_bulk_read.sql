-- ---
-- name: ssm_parameters_bulk_read
-- title: Bulk decrypted reads of SSM Parameter Store
-- description: >
--   One principal reading many parameters with decryption within an hour (GetParameter,
--   GetParameters, GetParametersByPath with withDecryption=true): SecureString secrets
--   harvested. Each GetParameters call counts every name it asks for.
-- mitre: [T1555.006, T1552.001]
-- severity: high
-- tables: [cloudtrail]
-- parameters:
--   min_parameters: {type: int, default: 10, description: Parameters read by one principal in one hour that make a burst}
-- ---
SELECT account, useridentity.arn AS principal,
       date_trunc('hour', from_iso8601_timestamp(eventtime)) AS hour,
       count(*) AS calls,
       sum(coalesce(json_array_length(json_extract(requestparameters, '$.names')), 1)) AS parameters,
       min(eventtime) AS first_seen, max(eventtime) AS last_seen,
       array_agg(eventid) AS eventids
FROM cloudtrail
WHERE from_iso8601_timestamp(eventtime) BETWEEN :start AND :end
  AND (cardinality(:accounts) = 0 OR account IN (:accounts))
  AND (cardinality(:regions) = 0 OR region IN (:regions))
  AND eventsource = 'ssm.amazonaws.com'
  AND eventname IN ('GetParameter', 'GetParameters', 'GetParametersByPath')
  AND json_extract_scalar(requestparameters, '$.withDecryption') = 'true'
  AND useridentity.invokedby IS NULL
GROUP BY account, useridentity.arn, date_trunc('hour', from_iso8601_timestamp(eventtime))
HAVING sum(coalesce(json_array_length(json_extract(requestparameters, '$.names')), 1)) >= :min_parameters
ORDER BY parameters DESC
