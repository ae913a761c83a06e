"""GuardDuty's findings on the mining instance (``mining.py``), as the export carries them.

``CryptoCurrency:EC2/BitcoinTool.B!DNS`` (from the Resolver query logs) and ``CryptoCurrency:EC2/
BitcoinTool.B`` (from the flow logs), severity 8 (High), with the DNS_REQUEST and NETWORK_CONNECTION
actions shaped like the real findings in ``../shared/data/guardduty`` (foxsec-eventbridge samples).
``guardduty.py`` publishes them with the others.
"""

from __future__ import annotations

import random
from datetime import timedelta

from orginsight.demo.guardduty import Detection, Sighting, finding_body
from orginsight.demo.mining import IMAGE, INSTANCE_TYPE, MiningIncident
from orginsight.demo.org import detector_id
from orginsight.demo.records import aws_id, ct_time, hex_id


def guardduty_findings(incident: MiningIncident, seed: int) -> list[dict]:
    """The two findings GuardDuty raises on the instance, as exported (``guardduty.py`` publishes them)."""
    rng = random.Random(f"mining-findings/{seed}")
    acct, region, h = incident.vpc.account, incident.vpc.region, incident.host
    first = incident.connections[0]
    out = []
    dns_action = {
        "actionType": "DNS_REQUEST",
        "dnsRequestAction": {"domain": first.domain, "protocol": "UDP", "blocked": False},
    }
    net_action = {
        "actionType": "NETWORK_CONNECTION",
        "networkConnectionAction": {
            "connectionDirection": "OUTBOUND",
            "remoteIpDetails": {
                "ipAddressV4": first.ip,
                "organization": {"asn": "16276", "asnOrg": "OVH SAS", "isp": "OVH SAS", "org": "OVH SAS"},
                "country": {"countryName": "France"},
                "city": {"cityName": "Roubaix"},
                "geoLocation": {"lat": 50.69, "lon": 3.17},
            },
            "remotePortDetails": {"port": first.port, "portName": "Unknown"},
            "localPortDetails": {"port": first.local_port, "portName": "Unknown"},
            "localIpDetails": {"ipAddressV4": h.ip},
            "protocol": "TCP",
            "blocked": False,
        },
    }
    for ftype, action, title, description in (
        (
            "CryptoCurrency:EC2/BitcoinTool.B!DNS",
            dns_action,
            f"Bitcoin-related domain name queried by EC2 instance {h.instance}.",
            f"EC2 instance {h.instance} is querying a domain name that is associated with Bitcoin-related activity.",
        ),
        (
            "CryptoCurrency:EC2/BitcoinTool.B",
            net_action,
            f"Bitcoin-related IP address communicating with EC2 instance {h.instance}.",
            f"EC2 instance {h.instance} is communicating with IP address {first.ip} on port {first.port} "
            "which is associated with Bitcoin-related activity.",
        ),
    ):
        fid = hex_id(rng, 32)
        det = detector_id(acct, region)
        last = incident.end - timedelta(minutes=rng.randrange(5, 60))
        count = int((last - first.start).total_seconds() // 600)
        resource = _instance_resource(incident, rng)
        created = first.start + timedelta(minutes=6, seconds=rng.randrange(60))
        updated = last + timedelta(minutes=5, seconds=rng.randrange(60))
        seen = Sighting(acct, region, first.start, last, count)
        out.append(
            finding_body(
                seen, fid, det, Detection(ftype, 8, resource, action, title, description), (created, updated)
            )
        )
    incident.findings = out
    return out


def _instance_resource(incident: MiningIncident, rng: random.Random) -> dict:
    h, acct, region = incident.host, incident.vpc.account, incident.vpc.region
    dns = f"ip-{h.ip.replace('.', '-')}.{region}.compute.internal"
    return {
        "resourceType": "Instance",
        "instanceDetails": {
            "instanceId": h.instance,
            "instanceType": INSTANCE_TYPE,
            "launchTime": ct_time(incident.launched),
            "platform": None,
            "productCodes": [],
            "iamInstanceProfile": {
                "arn": f"arn:aws:iam::{acct.id}:instance-profile/{incident.role[0]}",
                "id": aws_id(rng, "AIPA", 17),
            },
            "networkInterfaces": [
                {
                    "ipv6Addresses": [],
                    "networkInterfaceId": h.eni,
                    "privateDnsName": dns,
                    "privateIpAddress": h.ip,
                    "privateIpAddresses": [{"privateDnsName": dns, "privateIpAddress": h.ip}],
                    "subnetId": h.subnet,
                    "vpcId": incident.vpc.vpc_id,
                    "securityGroups": [{"groupName": "launch-wizard-1", "groupId": f"sg-0{hex_id(rng, 16)}"}],
                    "publicDnsName": f"ec2-{incident.public_ip.replace('.', '-')}.{region}.compute.amazonaws.com",
                    "publicIp": incident.public_ip,
                }
            ],
            "tags": [],
            "instanceState": "running",
            "availabilityZone": h.az,
            "imageId": IMAGE,
            "imageDescription": "Ubuntu Server 22.04 LTS",
        },
    }
