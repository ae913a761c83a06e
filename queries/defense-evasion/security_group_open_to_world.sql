-- ---
-- name: security_group_open_to_world
-- title: Security group or network ACL opened to 0.0.0.0/0
-- description: >
--   Ingress rules allowing any IPv4 or IPv6 address (0.0.0.0/0, ::/0) added to a security
--   group, or an allow entry for any address added to a network ACL.
-- mitre: [T1562.007]
-- severity: medium
-- tables: [cloudtrail]
-- ---
SELECT eventtime, account, region, eventid, eventsource, eventname,
       useridentity.arn AS principal, sourceipaddress, useragent, errorcode,
       coalesce(json_extract_scalar(requestparameters, '$.groupId'),
                json_extract_scalar(requestparameters, '$.networkAclId')) AS target
FROM cloudtrail
WHERE from_iso8601_timestamp(eventtime) BETWEEN :start AND :end
  AND (cardinality(:accounts) = 0 OR account IN (:accounts))
  AND (cardinality(:regions) = 0 OR region IN (:regions))
  AND eventsource = 'ec2.amazonaws.com'
  AND errorcode IS NULL
  AND (
    (eventname IN ('AuthorizeSecurityGroupIngress', 'ModifySecurityGroupRules')
     AND (strpos(requestparameters, '0.0.0.0/0') > 0 OR strpos(requestparameters, '"::/0"') > 0))
    OR (eventname IN ('CreateNetworkAclEntry', 'ReplaceNetworkAclEntry')
        AND json_extract_scalar(requestparameters, '$.ruleAction') = 'allow'
        AND json_extract_scalar(requestparameters, '$.egress') = 'false'
        AND (json_extract_scalar(requestparameters, '$.cidrBlock') = '0.0.0.0/0'
             OR json_extract_scalar(requestparameters, '$.ipv6CidrBlock') = '::/0'))
  )
ORDER BY eventtime
