-- ---
-- name: access_key_created_for_other_user
-- title: Access key created for another IAM user
-- description: >
--   CreateAccessKey where the caller names a user other than itself (or is a role):
--   an attacker with iam:CreateAccessKey backdoors an existing user with a key of their own.
-- mitre: [T1098.001]
-- severity: high
-- tables: [cloudtrail]
-- ---
SELECT eventtime, account, region, eventid, eventsource, eventname,
       useridentity.arn AS principal, sourceipaddress, useragent, errorcode,
       json_extract_scalar(requestparameters, '$.userName') AS target_user,
       json_extract_scalar(responseelements, '$.accessKey.accessKeyId') AS new_access_key
FROM cloudtrail
WHERE from_iso8601_timestamp(eventtime) BETWEEN :start AND :end
  AND (cardinality(:accounts) = 0 OR account IN (:accounts))
  AND (cardinality(:regions) = 0 OR region IN (:regions))
  AND eventname = 'CreateAccessKey'
  AND json_extract_scalar(requestparameters, '$.userName') IS NOT NULL
  AND (useridentity.type <> 'IAMUser'
       OR json_extract_scalar(requestparameters, '$.userName') <> coalesce(useridentity.username, ''))
ORDER BY eventtime
