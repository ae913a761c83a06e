-- ---
-- name: kms_key_deletion_or_policy_change
-- title: KMS key scheduled for deletion, disabled or its policy changed
-- description: >
--   ScheduleKeyDeletion and DisableKey make data encrypted under the key unreadable
--   (ransom, destruction); PutKeyPolicy can hand the key to an outsider.
-- mitre: [T1485, T1486]
-- severity: high
-- tables: [cloudtrail]
-- ---
SELECT eventtime, account, region, eventid, eventsource, eventname,
       useridentity.arn AS principal, sourceipaddress, useragent, errorcode,
       json_extract_scalar(requestparameters, '$.keyId') AS key_id,
       json_extract_scalar(requestparameters, '$.pendingWindowInDays') AS pending_days
FROM cloudtrail
WHERE from_iso8601_timestamp(eventtime) BETWEEN :start AND :end
  AND (cardinality(:accounts) = 0 OR account IN (:accounts))
  AND (cardinality(:regions) = 0 OR region IN (:regions))
  AND eventsource = 'kms.amazonaws.com'
  AND eventname IN ('ScheduleKeyDeletion', 'DisableKey', 'PutKeyPolicy', 'DeleteImportedKeyMaterial')
ORDER BY eventtime
