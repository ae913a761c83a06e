-- ---
-- name: ebs_default_encryption_disabled
-- title: EBS encryption by default disabled
-- description: >
--   DisableEbsEncryptionByDefault: new volumes and snapshot copies in the region are no
--   longer encrypted, which makes them shareable and readable outside KMS controls.
-- mitre: [T1562.001]
-- severity: medium
-- tables: [cloudtrail]
-- ---
SELECT eventtime, account, region, eventid, eventsource, eventname,
       useridentity.arn AS principal, sourceipaddress, useragent, errorcode,
       region AS affected_region
FROM cloudtrail
WHERE from_iso8601_timestamp(eventtime) BETWEEN :start AND :end
  AND (cardinality(:accounts) = 0 OR account IN (:accounts))
  AND (cardinality(:regions) = 0 OR region IN (:regions))
  AND eventsource = 'ec2.amazonaws.com'
  AND eventname = 'DisableEbsEncryptionByDefault'
ORDER BY eventtime
