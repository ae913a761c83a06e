-- ---
-- name: admin_policy_granted
-- title: IAM policy granting administrator access attached, put or versioned
-- description: >
--   AdministratorAccess (or IAMFullAccess, PowerUserAccess) attached to a user, role or
--   group, or an inline/managed policy document with Allow on Action "*": the usual last
--   step of a privilege escalation.
-- mitre: [T1098.003]
-- severity: high
-- tables: [cloudtrail]
-- ---
SELECT eventtime, account, region, eventid, eventsource, eventname,
       useridentity.arn AS principal, sourceipaddress, useragent, errorcode,
       coalesce(json_extract_scalar(requestparameters, '$.userName'),
                json_extract_scalar(requestparameters, '$.roleName'),
                json_extract_scalar(requestparameters, '$.groupName'),
                json_extract_scalar(requestparameters, '$.policyArn')) AS target,
       json_extract_scalar(requestparameters, '$.policyArn') AS policy_arn
FROM cloudtrail
WHERE from_iso8601_timestamp(eventtime) BETWEEN :start AND :end
  AND (cardinality(:accounts) = 0 OR account IN (:accounts))
  AND (cardinality(:regions) = 0 OR region IN (:regions))
  AND eventsource = 'iam.amazonaws.com'
  AND errorcode IS NULL
  AND (
    (eventname IN ('AttachUserPolicy', 'AttachRolePolicy', 'AttachGroupPolicy')
     AND regexp_like(json_extract_scalar(requestparameters, '$.policyArn'),
                     ':policy/(AdministratorAccess|IAMFullAccess|PowerUserAccess)$'))
    OR (eventname IN ('PutUserPolicy', 'PutRolePolicy', 'PutGroupPolicy', 'CreatePolicyVersion', 'CreatePolicy')
        AND regexp_like(regexp_replace(json_extract_scalar(requestparameters, '$.policyDocument'), '\s', ''),
                        '"Action":(\[[^\]]*)?"(\*|iam:\*)"'))
  )
ORDER BY eventtime
