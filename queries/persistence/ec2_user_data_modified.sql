-- ---
-- name: ec2_user_data_modified
-- title: EC2 instance user data changed
-- description: >
--   ModifyInstanceAttribute setting userData: the script runs as root at the next start,
--   a way to execute code on an instance and keep it there.
-- mitre: [T1059.009, T1098]
-- severity: high
-- tables: [cloudtrail]
-- ---
SELECT eventtime, account, region, eventid, eventsource, eventname,
       useridentity.arn AS principal, sourceipaddress, useragent, errorcode,
       json_extract_scalar(requestparameters, '$.instanceId') AS instance_id
FROM cloudtrail
WHERE from_iso8601_timestamp(eventtime) BETWEEN :start AND :end
  AND (cardinality(:accounts) = 0 OR account IN (:accounts))
  AND (cardinality(:regions) = 0 OR region IN (:regions))
  AND eventname = 'ModifyInstanceAttribute'
  AND (json_extract(requestparameters, '$.userData') IS NOT NULL
       OR json_extract_scalar(requestparameters, '$.attribute') = 'userData')
ORDER BY eventtime
