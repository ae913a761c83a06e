-- ---
-- name: login_profile_created_or_changed
-- title: Console password created or changed for an IAM user
-- description: >
--   CreateLoginProfile or UpdateLoginProfile: gives a user (often a programmatic one that
--   never had a password) console access, or resets its password. The root password change
--   (PasswordUpdated) is included.
-- mitre: [T1098]
-- severity: medium
-- tables: [cloudtrail]
-- ---
SELECT eventtime, account, region, eventid, eventsource, eventname,
       useridentity.arn AS principal, sourceipaddress, useragent, errorcode,
       json_extract_scalar(requestparameters, '$.userName') AS target_user
FROM cloudtrail
WHERE from_iso8601_timestamp(eventtime) BETWEEN :start AND :end
  AND (cardinality(:accounts) = 0 OR account IN (:accounts))
  AND (cardinality(:regions) = 0 OR region IN (:regions))
  AND (eventname IN ('CreateLoginProfile', 'UpdateLoginProfile')
       OR (eventname = 'PasswordUpdated' AND useridentity.type = 'Root'))
ORDER BY eventtime
