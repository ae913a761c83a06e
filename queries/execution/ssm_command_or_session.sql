-- ---
-- name: ssm_command_or_session
-- title: SSM SendCommand or StartSession to instances
-- description: >
--   Commands run on instances through Systems Manager (SendCommand, StartSession,
--   StartAutomationExecution): remote execution that needs no SSH key or open port.
-- mitre: [T1651]
-- severity: medium
-- tables: [cloudtrail]
-- parameters:
--   principal: {type: string, default: null, description: Substring of the caller ARN to keep; null means everyone}
-- ---
SELECT eventtime, account, region, eventid, eventsource, eventname,
       useridentity.arn AS principal, sourceipaddress, useragent, errorcode,
       coalesce(json_format(json_extract(requestparameters, '$.instanceIds')),
                json_extract_scalar(requestparameters, '$.target'),
                json_format(json_extract(requestparameters, '$.targets'))) AS targets,
       json_extract_scalar(requestparameters, '$.documentName') AS document
FROM cloudtrail
WHERE from_iso8601_timestamp(eventtime) BETWEEN :start AND :end
  AND (cardinality(:accounts) = 0 OR account IN (:accounts))
  AND (cardinality(:regions) = 0 OR region IN (:regions))
  AND eventsource = 'ssm.amazonaws.com'
  AND eventname IN ('SendCommand', 'StartSession', 'StartAutomationExecution', 'ResumeSession')
  AND useridentity.invokedby IS NULL
  AND (:principal IS NULL OR strpos(useridentity.arn, :principal) > 0)
ORDER BY eventtime
