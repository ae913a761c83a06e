-- ---
-- name: access_analyzer_or_detective_disabled
-- title: IAM Access Analyzer, Inspector or Detective switched off
-- description: >
--   DeleteAnalyzer and archive rules in IAM Access Analyzer, Inspector disabled, and
--   Detective graphs deleted or members removed: the organization's other watchers.
-- mitre: [T1562.001]
-- severity: medium
-- tables: [cloudtrail]
-- ---
SELECT eventtime, account, region, eventid, eventsource, eventname,
       useridentity.arn AS principal, sourceipaddress, useragent, errorcode,
       json_extract_scalar(requestparameters, '$.analyzerName') AS analyzer
FROM cloudtrail
WHERE from_iso8601_timestamp(eventtime) BETWEEN :start AND :end
  AND (cardinality(:accounts) = 0 OR account IN (:accounts))
  AND (cardinality(:regions) = 0 OR region IN (:regions))
  AND ((eventsource = 'access-analyzer.amazonaws.com'
        AND eventname IN ('DeleteAnalyzer', 'CreateArchiveRule', 'UpdateArchiveRule'))
       OR (eventsource = 'inspector2.amazonaws.com'
           AND eventname IN ('Disable', 'DisassociateMember', 'DisableDelegatedAdminAccount'))
       OR (eventsource = 'detective.amazonaws.com'
           AND eventname IN ('DeleteGraph', 'DeleteMembers', 'DisassociateMembership', 'DisableOrganizationAdminAccount')))
ORDER BY eventtime
