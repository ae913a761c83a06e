-- ---
-- name: secrets_bulk_read
-- title: Bulk reads of Secrets Manager secrets
-- description: >
--   One principal reading many distinct secrets within an hour (GetSecretValue,
--   BatchGetSecretValue), or listing them first: secrets harvesting.
-- mitre: [T1555.006]
-- severity: high
-- tables: [cloudtrail]
-- parameters:
--   min_secrets: {type: int, default: 5, description: Distinct secrets read by one principal in one hour that make a burst}
-- ---
SELECT account, useridentity.arn AS principal,
       date_trunc('hour', from_iso8601_timestamp(eventtime)) AS hour,
       count(*) AS calls,
       count(DISTINCT coalesce(json_extract_scalar(requestparameters, '$.secretId'),
                               json_format(json_extract(requestparameters, '$.secretIdList')),
                               json_format(json_extract(requestparameters, '$.filters')))) AS secrets,
       min(eventtime) AS first_seen, max(eventtime) AS last_seen,
       array_agg(eventid) AS eventids
FROM cloudtrail
WHERE from_iso8601_timestamp(eventtime) BETWEEN :start AND :end
  AND (cardinality(:accounts) = 0 OR account IN (:accounts))
  AND (cardinality(:regions) = 0 OR region IN (:regions))
  AND eventsource = 'secretsmanager.amazonaws.com'
  AND eventname IN ('GetSecretValue', 'BatchGetSecretValue')
  AND useridentity.invokedby IS NULL
GROUP BY account, useridentity.arn, date_trunc('hour', from_iso8601_timestamp(eventtime))
HAVING count(DISTINCT coalesce(json_extract_scalar(requestparameters, '$.secretId'),
                               json_format(json_extract(requestparameters, '$.secretIdList')),
                               json_format(json_extract(requestparameters, '$.filters')))) >= :min_secrets
ORDER BY secrets DESC
