-- ---
-- name: iam_policy_changes
-- title: Any IAM permission change
-- description: >
--   Every successful call that changes who may do what in IAM: policies attached,
--   detached, put, deleted or versioned; users added to groups; permission boundaries
--   removed. Broad by design: a timeline of permission changes around an incident.
-- mitre: [T1098]
-- severity: info
-- tables: [cloudtrail]
-- parameters:
--   principal: {type: string, default: null, description: Substring of the caller ARN to keep; null means everyone}
-- ---
SELECT eventtime, account, region, eventid, eventsource, eventname,
       useridentity.arn AS principal, sourceipaddress, useragent, errorcode,
       coalesce(json_extract_scalar(requestparameters, '$.userName'),
                json_extract_scalar(requestparameters, '$.roleName'),
                json_extract_scalar(requestparameters, '$.groupName')) AS target,
       coalesce(json_extract_scalar(requestparameters, '$.policyArn'),
                json_extract_scalar(requestparameters, '$.policyName')) AS policy
FROM cloudtrail
WHERE from_iso8601_timestamp(eventtime) BETWEEN :start AND :end
  AND (cardinality(:accounts) = 0 OR account IN (:accounts))
  AND (cardinality(:regions) = 0 OR region IN (:regions))
  AND eventsource = 'iam.amazonaws.com'
  AND errorcode IS NULL
  AND regexp_like(eventname, '^(Attach|Detach|Put|Delete)(User|Role|Group)Policy$|^(Create|Delete)Policy(Version)?$|^SetDefaultPolicyVersion$|^AddUserToGroup$|^Delete(User|Role)PermissionsBoundary$')
  AND (:principal IS NULL OR strpos(useridentity.arn, :principal) > 0)
ORDER BY eventtime
