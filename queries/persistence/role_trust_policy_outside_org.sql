-- ---
-- name: role_trust_policy_outside_org
-- title: Role trust policy changed to trust an outside account or anyone
-- description: >
--   UpdateAssumeRolePolicy whose new trust policy names an AWS account outside the
--   organization, or a wildcard principal: a backdoor role an attacker assumes from home.
-- mitre: [T1098, T1199]
-- severity: high
-- tables: [cloudtrail]
-- parameters:
--   org_accounts: {type: "list[string]", default: [], description: Accounts of the organization; empty means every account seen as recipientaccountid in the window}
-- ---
WITH org AS (
  SELECT account_id FROM UNNEST(CAST(:org_accounts AS array(varchar))) AS t(account_id)
  UNION
  SELECT DISTINCT recipientaccountid FROM cloudtrail
  WHERE cardinality(:org_accounts) = 0
    AND from_iso8601_timestamp(eventtime) BETWEEN :start AND :end
    AND recipientaccountid IS NOT NULL
),
changes AS (
  SELECT eventtime, account, region, eventid, eventname, useridentity.arn AS principal,
         sourceipaddress, useragent, errorcode,
         json_extract_scalar(requestparameters, '$.roleName') AS role_name,
         json_extract_scalar(requestparameters, '$.policyDocument') AS policy_document
  FROM cloudtrail
  WHERE from_iso8601_timestamp(eventtime) BETWEEN :start AND :end
  AND (cardinality(:accounts) = 0 OR account IN (:accounts))
  AND (cardinality(:regions) = 0 OR region IN (:regions))
    AND eventname = 'UpdateAssumeRolePolicy'
)
SELECT DISTINCT c.eventtime, c.account, c.region, c.eventid, c.eventname, c.principal,
       c.sourceipaddress, c.useragent, c.errorcode, c.role_name, c.policy_document
FROM changes c
LEFT JOIN UNNEST(regexp_extract_all(coalesce(c.policy_document, ''), '[0-9]{12}')) AS u(trusted_account) ON true
WHERE regexp_like(coalesce(c.policy_document, ''), '"Principal"\s*:\s*(\{\s*"AWS"\s*:\s*)?(\[\s*)?"\*"')
   OR (u.trusted_account IS NOT NULL AND u.trusted_account NOT IN (SELECT account_id FROM org))
ORDER BY c.eventtime
