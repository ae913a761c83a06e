-- ---
-- name: config_disabled
-- title: AWS Config recorder stopped or deleted
-- description: >
--   StopConfigurationRecorder, DeleteConfigurationRecorder, DeleteDeliveryChannel,
--   DeleteConfigRule and deleted aggregators: the organization stops recording what changes.
-- mitre: [T1562.001]
-- severity: high
-- tables: [cloudtrail]
-- ---
SELECT eventtime, account, region, eventid, eventsource, eventname,
       useridentity.arn AS principal, sourceipaddress, useragent, errorcode,
       coalesce(json_extract_scalar(requestparameters, '$.configurationRecorderName'),
                json_extract_scalar(requestparameters, '$.deliveryChannelName'),
                json_extract_scalar(requestparameters, '$.configRuleName')) AS resource_name
FROM cloudtrail
WHERE from_iso8601_timestamp(eventtime) BETWEEN :start AND :end
  AND (cardinality(:accounts) = 0 OR account IN (:accounts))
  AND (cardinality(:regions) = 0 OR region IN (:regions))
  AND eventsource = 'config.amazonaws.com'
  AND eventname IN ('StopConfigurationRecorder', 'DeleteConfigurationRecorder', 'DeleteDeliveryChannel',
                    'DeleteConfigRule', 'DeleteConfigurationAggregator', 'DeleteOrganizationConfigRule',
                    'DeleteConformancePack', 'DeleteOrganizationConformancePack')
ORDER BY eventtime
