-- ---
-- name: macie_disabled
-- title: Macie disabled, paused or findings suppressed
-- description: >
--   DisableMacie, the session paused or its finding publication slowed (UpdateMacieSession),
--   members removed, classification jobs cancelled, findings filters that archive:
--   sensitive-data discovery switched off or muted.
-- mitre: [T1562.001]
-- severity: medium
-- tables: [cloudtrail]
-- ---
SELECT eventtime, account, region, eventid, eventsource, eventname,
       useridentity.arn AS principal, sourceipaddress, useragent, errorcode,
       json_extract_scalar(requestparameters, '$.status') AS status
FROM cloudtrail
WHERE from_iso8601_timestamp(eventtime) BETWEEN :start AND :end
  AND (cardinality(:accounts) = 0 OR account IN (:accounts))
  AND (cardinality(:regions) = 0 OR region IN (:regions))
  AND eventsource IN ('macie2.amazonaws.com', 'macie.amazonaws.com')
  AND (eventname IN ('DisableMacie', 'DisableOrganizationAdminAccount', 'DeleteMember', 'DisassociateMember',
                     'DisassociateFromAdministratorAccount', 'DisassociateFromMasterAccount',
                     'CreateFindingsFilter', 'UpdateFindingsFilter', 'DeleteAllowList')
       OR eventname = 'UpdateMacieSession'
       OR (eventname = 'UpdateClassificationJob' AND json_extract_scalar(requestparameters, '$.jobStatus') = 'CANCELLED'))
ORDER BY eventtime
