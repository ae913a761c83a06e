-- ---
-- name: lambda_backdoor
-- title: Lambda function code, layers or resource policy changed by an unusual principal
-- description: >
--   UpdateFunctionCode, UpdateFunctionConfiguration (new layers or role), AddPermission (a
--   resource policy letting another principal invoke the function), layers published and
--   function URLs created, by a principal (a role counted across its sessions) that made
--   no such change in the baseline window: planted code that runs with the function's
--   role, not the deployment pipeline doing its job.
-- mitre: [T1648, T1546]
-- severity: medium
-- tables: [cloudtrail]
-- parameters:
--   baseline_start: {type: timestamp, default: start-30d, description: Start of the baseline window of usual deployers (it ends at start)}
-- ---
WITH changes AS (
  SELECT eventtime, account, region, eventid, eventsource, eventname,
         useridentity.arn AS principal, sourceipaddress, useragent, errorcode,
         coalesce(useridentity.sessioncontext.sessionissuer.arn, useridentity.arn) AS actor,
         json_extract_scalar(requestparameters, '$.functionName') AS function_name,
         json_extract_scalar(requestparameters, '$.principal') AS granted_principal
  FROM cloudtrail
  WHERE from_iso8601_timestamp(eventtime) BETWEEN :baseline_start AND :end
    AND (cardinality(:accounts) = 0 OR account IN (:accounts))
    AND (cardinality(:regions) = 0 OR region IN (:regions))
    AND eventsource = 'lambda.amazonaws.com'
    AND (eventname LIKE 'UpdateFunctionCode%' OR eventname LIKE 'UpdateFunctionConfiguration%'
         OR eventname LIKE 'AddPermission%' OR eventname LIKE 'PublishLayerVersion%'
         OR eventname LIKE 'CreateFunctionUrlConfig%')
    AND errorcode IS NULL
)
SELECT eventtime, account, region, eventid, eventsource, eventname, principal, sourceipaddress,
       useragent, errorcode, function_name, granted_principal
FROM changes c
WHERE from_iso8601_timestamp(eventtime) >= :start
  AND NOT EXISTS (SELECT 1 FROM changes b WHERE b.actor = c.actor AND from_iso8601_timestamp(b.eventtime) < :start)
ORDER BY eventtime
