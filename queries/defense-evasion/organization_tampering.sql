-- ---
-- name: organization_tampering
-- title: Account leaving the organization, or SCP and organization changes
-- description: >
--   LeaveOrganization (an account escaping the organization's guardrails and trail),
--   accounts removed, service control policies detached, deleted or edited, delegated
--   administrators deregistered, trusted service access disabled.
-- mitre: [T1666, T1562.001]
-- severity: critical
-- tables: [cloudtrail]
-- ---
SELECT eventtime, account, region, eventid, eventsource, eventname,
       useridentity.arn AS principal, sourceipaddress, useragent, errorcode,
       coalesce(json_extract_scalar(requestparameters, '$.policyId'),
                json_extract_scalar(requestparameters, '$.accountId'),
                json_extract_scalar(requestparameters, '$.servicePrincipal')) AS target
FROM cloudtrail
WHERE from_iso8601_timestamp(eventtime) BETWEEN :start AND :end
  AND (cardinality(:accounts) = 0 OR account IN (:accounts))
  AND (cardinality(:regions) = 0 OR region IN (:regions))
  AND eventsource = 'organizations.amazonaws.com'
  AND eventname IN ('LeaveOrganization', 'RemoveAccountFromOrganization', 'DetachPolicy', 'DeletePolicy',
                    'UpdatePolicy', 'DisablePolicyType', 'DeregisterDelegatedAdministrator',
                    'DisableAWSServiceAccess', 'DeleteOrganization', 'MoveAccount')
ORDER BY eventtime
