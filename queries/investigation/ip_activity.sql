-- ---
-- name: ip_activity
-- title: Everything one source IP address did
-- description: >
--   Every event whose source IP address is the given one, across accounts, regions and
--   principals, in time order: which identities an attacker's address used.
-- mitre: [T1078.004]
-- severity: info
-- tables: [cloudtrail]
-- parameters:
--   ip: {type: string, default: null, description: Source IP address to follow; required}
-- ---
SELECT eventtime, account, region, eventid, eventsource, eventname,
       useridentity.arn AS principal, sourceipaddress, useragent, errorcode,
       useridentity.accesskeyid AS access_key, requestparameters, responseelements
FROM cloudtrail
WHERE from_iso8601_timestamp(eventtime) BETWEEN :start AND :end
  AND (cardinality(:accounts) = 0 OR account IN (:accounts))
  AND (cardinality(:regions) = 0 OR region IN (:regions))
  AND sourceipaddress = :ip
ORDER BY eventtime
