-- ---
-- name: ami_shared_outside_org
-- title: AMI shared with an outside account or made public
-- description: >
--   ModifyImageAttribute adding launch permission for an account outside the organization,
--   or for group "all": the image (and any secrets baked into it) copied out.
-- mitre: [T1537]
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
shares AS (
  SELECT eventtime, account, region, eventid, eventname, useridentity.arn AS principal,
         sourceipaddress, useragent, errorcode,
         json_extract_scalar(requestparameters, '$.imageId') AS image_id,
         json_format(json_extract(requestparameters, '$.launchPermission.add')) AS added
  FROM cloudtrail
  WHERE from_iso8601_timestamp(eventtime) BETWEEN :start AND :end
  AND (cardinality(:accounts) = 0 OR account IN (:accounts))
  AND (cardinality(:regions) = 0 OR region IN (:regions))
    AND eventname = 'ModifyImageAttribute'
    AND errorcode IS NULL
    AND json_extract(requestparameters, '$.launchPermission.add') IS NOT NULL
)
SELECT DISTINCT s.eventtime, s.account, s.region, s.eventid, s.eventname, s.principal, s.sourceipaddress,
       s.useragent, s.errorcode, s.image_id, s.added
FROM shares s
LEFT JOIN UNNEST(regexp_extract_all(s.added, '[0-9]{12}')) AS u(shared_with) ON true
WHERE strpos(s.added, '"all"') > 0
   OR (u.shared_with IS NOT NULL AND u.shared_with NOT IN (SELECT account_id FROM org))
ORDER BY s.eventtime
