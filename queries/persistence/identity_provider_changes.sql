-- ---
-- name: identity_provider_changes
-- title: SAML or OIDC identity provider created, changed or deleted
-- description: >
--   Changes to IAM SAML and OpenID Connect providers and to IAM Identity Center's external
--   IdP: whoever controls the IdP can sign in as any federated role.
-- mitre: [T1484.002]
-- severity: high
-- tables: [cloudtrail]
-- ---
SELECT eventtime, account, region, eventid, eventsource, eventname,
       useridentity.arn AS principal, sourceipaddress, useragent, errorcode,
       coalesce(json_extract_scalar(requestparameters, '$.sAMLProviderArn'),
                json_extract_scalar(requestparameters, '$.openIDConnectProviderArn'),
                json_extract_scalar(requestparameters, '$.name'),
                json_extract_scalar(requestparameters, '$.url')) AS provider
FROM cloudtrail
WHERE from_iso8601_timestamp(eventtime) BETWEEN :start AND :end
  AND (cardinality(:accounts) = 0 OR account IN (:accounts))
  AND (cardinality(:regions) = 0 OR region IN (:regions))
  AND eventname IN ('CreateSAMLProvider', 'UpdateSAMLProvider', 'DeleteSAMLProvider',
                    'CreateOpenIDConnectProvider', 'DeleteOpenIDConnectProvider',
                    'UpdateOpenIDConnectProviderThumbprint', 'AddClientIDToOpenIDConnectProvider',
                    'AssociateSAMLProvider', 'CreateExternalIdPConfigurationForDirectory',
                    'UpdateExternalIdPConfigurationForDirectory')
ORDER BY eventtime
