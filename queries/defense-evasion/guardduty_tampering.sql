-- ---
-- name: guardduty_tampering
-- title: GuardDuty detector disabled, findings suppressed or members removed
-- description: >
--   DeleteDetector, UpdateDetector, suppression filters, trusted IP sets (addresses
--   GuardDuty then ignores), disassociated or stopped members, deleted export destinations.
-- mitre: [T1562.001]
-- severity: high
-- tables: [cloudtrail]
-- ---
SELECT eventtime, account, region, eventid, eventsource, eventname,
       useridentity.arn AS principal, sourceipaddress, useragent, errorcode,
       json_extract_scalar(requestparameters, '$.detectorId') AS detector_id
FROM cloudtrail
WHERE from_iso8601_timestamp(eventtime) BETWEEN :start AND :end
  AND (cardinality(:accounts) = 0 OR account IN (:accounts))
  AND (cardinality(:regions) = 0 OR region IN (:regions))
  AND eventsource = 'guardduty.amazonaws.com'
  AND eventname IN ('DeleteDetector', 'UpdateDetector', 'CreateFilter', 'UpdateFilter',
                    'CreateIPSet', 'UpdateIPSet', 'DeleteThreatIntelSet', 'DisassociateMembers',
                    'DisassociateFromMasterAccount', 'DisassociateFromAdministratorAccount',
                    'DeleteMembers', 'StopMonitoringMembers', 'DeletePublishingDestination',
                    'UpdateMalwareScanSettings', 'UpdateOrganizationConfiguration')
ORDER BY eventtime
