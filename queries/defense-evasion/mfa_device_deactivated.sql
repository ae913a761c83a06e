-- ---
-- name: mfa_device_deactivated
-- title: MFA device deactivated or deleted
-- description: >
--   DeactivateMFADevice and DeleteVirtualMFADevice: removes the second factor of a user,
--   often just before the attacker registers a device of their own.
-- mitre: [T1556.006]
-- severity: high
-- tables: [cloudtrail]
-- ---
SELECT eventtime, account, region, eventid, eventsource, eventname,
       useridentity.arn AS principal, sourceipaddress, useragent, errorcode,
       json_extract_scalar(requestparameters, '$.userName') AS target_user,
       json_extract_scalar(requestparameters, '$.serialNumber') AS serial_number
FROM cloudtrail
WHERE from_iso8601_timestamp(eventtime) BETWEEN :start AND :end
  AND (cardinality(:accounts) = 0 OR account IN (:accounts))
  AND (cardinality(:regions) = 0 OR region IN (:regions))
  AND eventsource = 'iam.amazonaws.com'
  AND eventname IN ('DeactivateMFADevice', 'DeleteVirtualMFADevice')
ORDER BY eventtime
