-- ---
-- name: vpc_flow_logs_deleted
-- title: VPC flow logs or DNS query logging deleted
-- description: >
--   DeleteFlowLogs and Route 53 Resolver query-log configurations deleted or
--   disassociated: network evidence switched off.
-- mitre: [T1562.008]
-- severity: high
-- tables: [cloudtrail]
-- ---
SELECT eventtime, account, region, eventid, eventsource, eventname,
       useridentity.arn AS principal, sourceipaddress, useragent, errorcode,
       coalesce(json_format(json_extract(requestparameters, '$.DeleteFlowLogsRequest.FlowLogId')),
                json_extract_scalar(requestparameters, '$.resolverQueryLogConfigId')) AS target
FROM cloudtrail
WHERE from_iso8601_timestamp(eventtime) BETWEEN :start AND :end
  AND (cardinality(:accounts) = 0 OR account IN (:accounts))
  AND (cardinality(:regions) = 0 OR region IN (:regions))
  AND (eventname = 'DeleteFlowLogs'
       OR eventname IN ('DeleteResolverQueryLogConfig', 'DisassociateResolverQueryLogConfig', 'DeleteQueryLoggingConfig'))
ORDER BY eventtime
