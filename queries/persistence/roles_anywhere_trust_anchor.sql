-- ---
-- name: roles_anywhere_trust_anchor
-- title: IAM Roles Anywhere trust anchor or profile created
-- description: >
--   CreateTrustAnchor or CreateProfile in IAM Roles Anywhere: anyone holding a certificate
--   from the anchored CA can get credentials for the profile's roles from outside AWS.
-- mitre: [T1098]
-- severity: high
-- tables: [cloudtrail]
-- ---
SELECT eventtime, account, region, eventid, eventsource, eventname,
       useridentity.arn AS principal, sourceipaddress, useragent, errorcode,
       json_extract_scalar(requestparameters, '$.name') AS resource_name
FROM cloudtrail
WHERE from_iso8601_timestamp(eventtime) BETWEEN :start AND :end
  AND (cardinality(:accounts) = 0 OR account IN (:accounts))
  AND (cardinality(:regions) = 0 OR region IN (:regions))
  AND eventsource = 'rolesanywhere.amazonaws.com'
  AND eventname IN ('CreateTrustAnchor', 'UpdateTrustAnchor', 'CreateProfile', 'UpdateProfile')
ORDER BY eventtime
