-- ---
-- name: identity_discovery
-- title: Account and identity discovery by tools
-- description: >
--   GetAccountAuthorizationDetails (the whole IAM configuration in one call), ListAccounts
--   from outside the management account's usual callers, the SES quota and identity checks
--   spammers run with a found key, and GetCallerIdentity from known key-testing tools
--   (TruffleHog, Pacu, ScoutSuite, CloudFox, enumerate-iam): the first calls made with
--   stolen credentials. Console sessions and AWS services are left out.
-- mitre: [T1087.004, T1033]
-- severity: low
-- tables: [cloudtrail]
-- parameters:
--   principal: {type: string, default: null, description: Substring of the caller ARN to keep; null means everyone}
--   tool_agents: {type: string, default: "(?i)trufflehog|pacu|scoutsuite|cloudfox|enumerate-iam|weirdaal|cloudsplaining|stratus-red-team", description: Regular expression of user agents of discovery tools}
-- ---
SELECT eventtime, account, region, eventid, eventsource, eventname,
       useridentity.arn AS principal, sourceipaddress, useragent, errorcode,
       useridentity.accesskeyid AS access_key
FROM cloudtrail
WHERE from_iso8601_timestamp(eventtime) BETWEEN :start AND :end
  AND (cardinality(:accounts) = 0 OR account IN (:accounts))
  AND (cardinality(:regions) = 0 OR region IN (:regions))
  AND useridentity.invokedby IS NULL
  AND coalesce(sessioncredentialfromconsole, 'false') <> 'true'
  AND (eventname IN ('GetAccountAuthorizationDetails', 'GetSendQuota', 'ListIdentities',
                     'GetAccountSendingEnabled', 'GetIdentityVerificationAttributes')
       OR (eventname IN ('GetCallerIdentity', 'ListAccounts', 'ListUsers', 'ListRoles')
           AND regexp_like(coalesce(useragent, ''), :tool_agents)))
  AND (:principal IS NULL OR strpos(useridentity.arn, :principal) > 0)
ORDER BY eventtime
