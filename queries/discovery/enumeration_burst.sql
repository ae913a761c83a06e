-- ---
-- name: enumeration_burst
-- title: Enumeration burst (many distinct List/Describe/Get calls)
-- description: >
--   A principal calling many distinct read-only List*/Describe*/Get* APIs across services
--   within an hour: the reconnaissance that follows a credential theft (Pacu, ScoutSuite,
--   enumerate-iam). Console browsing and AWS services are left out.
-- mitre: [T1580, T1526, T1087.004]
-- severity: medium
-- tables: [cloudtrail]
-- parameters:
--   min_apis: {type: int, default: 30, description: Distinct read-only APIs one principal calls in one hour that make a burst}
-- ---
SELECT account, useridentity.arn AS principal,
       date_trunc('hour', from_iso8601_timestamp(eventtime)) AS hour,
       count(*) AS calls, count(DISTINCT eventsource || ':' || eventname) AS apis,
       count(DISTINCT eventsource) AS services, count_if(errorcode IS NOT NULL) AS errors,
       min(eventtime) AS first_seen, max(eventtime) AS last_seen,
       array_agg(eventid) AS eventids
FROM cloudtrail
WHERE from_iso8601_timestamp(eventtime) BETWEEN :start AND :end
  AND (cardinality(:accounts) = 0 OR account IN (:accounts))
  AND (cardinality(:regions) = 0 OR region IN (:regions))
  AND regexp_like(eventname, '^(List|Describe|Get)')
  AND useridentity.invokedby IS NULL
  AND useridentity.arn IS NOT NULL
  AND coalesce(sessioncredentialfromconsole, 'false') <> 'true'
  AND sourceipaddress NOT LIKE '%.amazonaws.com'
GROUP BY account, useridentity.arn, date_trunc('hour', from_iso8601_timestamp(eventtime))
HAVING count(DISTINCT eventsource || ':' || eventname) >= :min_apis
ORDER BY apis DESC
