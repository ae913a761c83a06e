-- ---
-- name: console_login_without_mfa
-- title: Console sign-in without MFA
-- description: >
--   Successful AWS console sign-ins by IAM users or root where CloudTrail records
--   MFAUsed = No. Federated (SSO/SAML) sign-ins are left out: their MFA happens at the IdP.
-- mitre: [T1078.004]
-- severity: medium
-- tables: [cloudtrail]
-- parameters:
--   principal: {type: string, default: null, description: Substring of the principal ARN to keep; null means everyone}
-- ---
SELECT eventtime, account, region, eventid, eventname,
       useridentity.type AS identity_type, useridentity.arn AS principal,
       sourceipaddress, useragent
FROM cloudtrail
WHERE from_iso8601_timestamp(eventtime) BETWEEN :start AND :end
  AND (cardinality(:accounts) = 0 OR account IN (:accounts))
  AND (cardinality(:regions) = 0 OR region IN (:regions))
  AND eventname = 'ConsoleLogin'
  AND useridentity.type IN ('IAMUser', 'Root')
  AND json_extract_scalar(responseelements, '$.ConsoleLogin') = 'Success'
  AND json_extract_scalar(additionaleventdata, '$.MFAUsed') = 'No'
  AND (:principal IS NULL OR strpos(useridentity.arn, :principal) > 0)
ORDER BY eventtime
