-- ---
-- name: securityhub_disabled
-- title: Security Hub disabled, standards turned off or findings suppressed
-- description: >
--   DisableSecurityHub, standards or controls disabled, product integrations cut,
--   members disassociated, and findings bulk-updated to SUPPRESSED or RESOLVED (or through the
--   deprecated UpdateFindings).
-- mitre: [T1562.001]
-- severity: high
-- tables: [cloudtrail]
-- ---
SELECT eventtime, account, region, eventid, eventsource, eventname,
       useridentity.arn AS principal, sourceipaddress, useragent, errorcode,
       json_extract_scalar(requestparameters, '$.workflow.status') AS workflow_status
FROM cloudtrail
WHERE from_iso8601_timestamp(eventtime) BETWEEN :start AND :end
  AND (cardinality(:accounts) = 0 OR account IN (:accounts))
  AND (cardinality(:regions) = 0 OR region IN (:regions))
  AND eventsource = 'securityhub.amazonaws.com'
  AND (eventname IN ('DisableSecurityHub', 'BatchDisableStandards', 'DisableImportFindingsForProduct',
                     'DisassociateFromMasterAccount', 'DisassociateFromAdministratorAccount',
                     'DisassociateMembers', 'DeleteMembers', 'DeleteInsight', 'DeleteActionTarget',
                     'DisableOrganizationAdminAccount', 'UpdateStandardsControl',
                     'UpdateFindings')
       OR (eventname = 'BatchUpdateFindings'
           AND json_extract_scalar(requestparameters, '$.workflow.status') IN ('SUPPRESSED', 'RESOLVED')))
ORDER BY eventtime
