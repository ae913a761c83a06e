-- ---
-- name: principal_activity
-- title: Everything one principal did
-- description: >
--   Every event of a principal (user, role session or role, matched as a substring of
--   the caller ARN or of the session issuer ARN), in time order.
-- mitre: [T1078.004]
-- severity: info
-- tables: [cloudtrail]
-- parameters:
--   principal: {type: string, default: null, description: Substring of the principal or session issuer ARN; required}
-- ---
SELECT eventtime, account, region, eventid, eventsource, eventname,
       useridentity.arn AS principal, sourceipaddress, useragent, errorcode,
       useridentity.accesskeyid AS access_key, requestparameters, responseelements
FROM cloudtrail
WHERE from_iso8601_timestamp(eventtime) BETWEEN :start AND :end
  AND (cardinality(:accounts) = 0 OR account IN (:accounts))
  AND (cardinality(:regions) = 0 OR region IN (:regions))
  AND (strpos(useridentity.arn, :principal) > 0
       OR strpos(useridentity.sessioncontext.sessionissuer.arn, :principal) > 0)
ORDER BY eventtime
