"""The inventory types a resource data sync writes, their columns, and the table each becomes.

Names, attributes and types: AWS Systems Manager User Guide, "Metadata collected by inventory" (read 2026-12).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from orginsight.errors import ParameterError

RESOURCE_TYPE = "ManagedInstanceInventory"
"""The ``resourcetype=`` partition the sync writes for managed nodes (the only one seen, 2026-12)."""

PARTITION_COLUMNS = ("accountid", "region", "resourcetype")
"""The Hive partitions of every type's table, in key order."""

COMMON_FIELDS = ("resourceId", "captureTime", "schemaVersion")
"""Written by the sync on every item, beside the type's attributes."""

TYPE_NAME = re.compile(r"(?P<kind>AWS|Custom):(?P<name>[A-Za-z0-9_]{1,90})")
"""An inventory type folder this module reads (the API allows ``^(AWS|Custom):.*$``; a name that cannot
become a table name is reported instead)."""


@dataclass(frozen=True)
class InventoryType:
    """One inventory type: its name, schema version and attributes (``(name, "STRING" | "NUMBER")``)."""

    type_name: str
    version: str
    attributes: tuple[tuple[str, str], ...]

    @property
    def table(self) -> str:
        """Its table, locally and on Athena: ``AWS:PatchSummary`` -> ``ssm_patchsummary``."""
        return table_name(self.type_name)

    @property
    def columns(self) -> tuple[tuple[str, str, str], ...]:
        """``(json key, column, "STRING" | "NUMBER")``: the common fields, then the attributes.

        Columns are lowercase, as Athena names them. An attribute named like a partition
        (``AWS:InstanceInformation``'s ``ResourceType``) becomes ``node_<name>``: a table cannot hold
        two columns of one name (AWS's own table for that type leaves it out).
        """
        common = tuple((f, f.lower(), "STRING") for f in COMMON_FIELDS)
        attrs = tuple(
            (a, f"node_{a.lower()}" if a.lower() in PARTITION_COLUMNS else a.lower(), t)
            for a, t in self.attributes
            if a not in COMMON_FIELDS
        )
        return common + attrs


def _type(type_name: str, version: str, *attributes: str, numbers: Iterable[str] = ()) -> InventoryType:
    typed = [(a, "STRING") for a in attributes] + [(a, "NUMBER") for a in numbers]
    return InventoryType(type_name, version, tuple(typed))


INVENTORY_TYPES: dict[str, InventoryType] = {
    t.type_name: t
    for t in (
        # AWS Systems Manager User Guide, "Metadata collected by inventory" (read 2026-12): names and types.
        _type(
            "AWS:InstanceInformation",
            "1.0",
            *[
                "AgentType",
                "AgentVersion",
                "ComputerName",
                "IamRole",
                "InstanceId",
                "IpAddress",
                "PlatformName",
            ],
            *["PlatformType", "PlatformVersion", "ResourceType", "AgentStatus", "InstanceStatus"],
        ),
        _type(
            "AWS:Application",
            "1.1",
            *[
                "Name",
                "ApplicationType",
                "Publisher",
                "Version",
                "Release",
                "Epoch",
                "InstalledTime",
                "Architecture",
                "URL",
            ],
            "Summary",
            "PackageId",
        ),
        _type(
            "AWS:AWSComponent",
            "1.0",
            *["Name", "ApplicationType", "Publisher", "Version", "InstalledTime", "Architecture", "URL"],
        ),
        _type(
            "AWS:File",
            "1.0",
            *[
                "Name",
                "Size",
                "Description",
                "FileVersion",
                "InstalledDate",
                "ModificationTime",
                "LastAccessTime",
            ],
            *["ProductName", "InstalledDir", "ProductLanguage", "CompanyName", "ProductVersion"],
        ),
        _type("AWS:WindowsUpdate", "1.0", "HotFixId", "Description", "InstalledTime", "InstalledBy"),
        _type(
            "AWS:Network",
            "1.0",
            *["Name", "SubnetMask", "Gateway", "DHCPServer", "DNSServer", "MacAddress", "IPV4", "IPV6"],
        ),
        _type(
            "AWS:PatchSummary",
            "1.0",
            *[
                "PatchGroup",
                "BaselineId",
                "SnapshotId",
                "OwnerInformation",
                "OperationType",
                "OperationStartTime",
            ],
            *["OperationEndTime", "InstallOverrideList", "RebootOption", "LastNoRebootInstallOperationTime"],
            "ExecutionId",
            "NonCompliantSeverity",
            numbers=(
                *[
                    "InstalledCount",
                    "InstalledPendingRebootCount",
                    "InstalledOtherCount",
                    "InstalledRejectedCount",
                ],
                *["NotApplicableCount", "UnreportedNotApplicableCount", "MissingCount", "FailedCount"],
                *["SecurityNonCompliantCount", "CriticalNonCompliantCount", "OtherNonCompliantCount"],
            ),
        ),
        _type(
            "AWS:ComplianceItem",
            "1.0",
            *[
                "ComplianceType",
                "ExecutionId",
                "ExecutionType",
                "ExecutionTime",
                "Id",
                "Title",
                "Status",
                "Severity",
            ],
            *[
                "DocumentName",
                "DocumentVersion",
                "Classification",
                "PatchBaselineId",
                "PatchSeverity",
                "PatchState",
            ],
            *["PatchGroup", "InstalledTime", "InstallOverrideList", "DetailedText", "DetailedLink", "CVEIds"],
        ),
        _type(
            "AWS:ComplianceSummary",
            "1.0",
            *["ComplianceType", "PatchGroup", "PatchBaselineId", "Status", "OverallSeverity", "ExecutionId"],
            "ExecutionType",
            "ExecutionTime",
            numbers=[
                f"{state}{level}Count"
                for state in ("Compliant", "NonCompliant")
                for level in ("Critical", "High", "Medium", "Low", "Informational", "Unspecified")
            ],
        ),
        _type(
            "AWS:InstanceDetailedInformation",
            "1.0",
            "CPUModel",
            "CPUHyperThreadEnabled",
            "OSServicePack",
            numbers=("CPUCores", "CPUs", "CPUSpeedMHz", "CPUSockets"),
        ),
        _type(
            "AWS:Service",
            "1.0",
            *[
                "Name",
                "DisplayName",
                "ServiceType",
                "Status",
                "DependentServices",
                "ServicesDependedOn",
                "StartType",
            ],
        ),
        _type("AWS:WindowsRegistry", "1.0", "KeyPath", "ValueName", "ValueType", "Value"),
        _type(
            "AWS:WindowsRole",
            "1.0",
            *[
                "Name",
                "DisplayName",
                "Path",
                "FeatureType",
                "DependsOn",
                "Description",
                "Installed",
                "InstalledState",
            ],
            "SubFeatures",
            "ServerComponentDescriptor",
            "Parent",
        ),
        _type("AWS:Tag", "1.0", "Key", "Value"),
        _type("AWS:ResourceGroup", "1.0", "Name", "Arn"),
        _type("AWS:BillingInfo", "1.0", "BillingProductId"),
    )
}
"""The documented inventory types. A ``Custom:<name>`` type has attributes only its owner knows: locally
its table holds the common fields and each item whole, as JSON (``item``)."""


def table_name(type_name: str) -> str:
    """``AWS:PatchSummary`` -> ``ssm_patchsummary``, ``Custom:RackSpace`` -> ``ssm_custom_rackspace``."""
    m = TYPE_NAME.fullmatch(type_name)
    if m is None:
        raise ParameterError(f"not an inventory type this module reads: {type_name!r}")
    kind = "" if m["kind"] == "AWS" else "custom_"
    return f"ssm_{kind}{m['name'].lower()}"


def inventory_type(type_name: str) -> InventoryType:
    """The documented type, or a ``Custom:`` one with no known attributes."""
    if type_name in INVENTORY_TYPES:
        return INVENTORY_TYPES[type_name]
    table_name(type_name)  # raises for a name that is neither
    if not type_name.startswith("Custom:"):
        raise ParameterError(f"unknown inventory type {type_name!r}; known: {', '.join(INVENTORY_TYPES)}")
    return InventoryType(type_name, "1.0", ())


TABLES: dict[str, str] = {t.table: name for name, t in INVENTORY_TYPES.items()}
"""Table name -> inventory type, for the documented types."""
