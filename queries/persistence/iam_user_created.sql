-- ---
-- name: iam_user_created
-- title: IAM user created
-- description: >
--   CreateUser. Organizations that use SSO rarely create IAM users; a new one outside
--   infrastructure-as-code is a classic backdoor.
-- mitre: [T1136.003]
-- severity: low
-- tables: [cloudtrail]
-- ---
SELECT eventtime, account, region, eventid, eventsource, eventname,
       useridentity.arn AS principal, sourceipaddress, useragent, errorcode,
       json_extract_scalar(requestparameters, '$.userName') AS new_user
FROM cloudtrail
WHERE from_iso8601_timestamp(eventtime) BETWEEN :start AND :end
  AND (cardinality(:accounts) = 0 OR account IN (:accounts))
  AND (cardinality(:regions) = 0 OR region IN (:regions))
  AND eventsource = 'iam.amazonaws.com'
  AND eventname = 'CreateUser'
  AND errorcode IS NULL
ORDER BY eventtime
