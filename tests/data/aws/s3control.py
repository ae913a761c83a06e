"""S3 Storage Lens configuration responses, shaped as boto3's s3control returns them (no ResponseMetadata).

Shapes follow the S3 Control API reference (ListStorageLensConfigurations,
GetStorageLensConfiguration, 2024): an organization-level configuration with prefix-level
metrics and a CSV export to a bucket in the log archive account, and an account-level
dashboard with no export.
"""

ACCOUNT_ID = "111122223333"

LIST_STORAGE_LENS_CONFIGURATIONS = [
    {
        "StorageLensConfigurationList": [
            {
                "Id": "org-storage-lens",
                "StorageLensArn": f"arn:aws:s3:us-east-1:{ACCOUNT_ID}:storage-lens/org-storage-lens",
                "HomeRegion": "us-east-1",
                "IsEnabled": True,
            }
        ],
        "NextToken": "page-2",
    },
    {
        "StorageLensConfigurationList": [
            {
                "Id": "default-account-dashboard",
                "StorageLensArn": f"arn:aws:s3:us-east-1:{ACCOUNT_ID}:storage-lens/default-account-dashboard",
                "HomeRegion": "us-east-1",
                "IsEnabled": False,
            }
        ]
    },
]

GET_STORAGE_LENS_CONFIGURATION = [
    {
        "StorageLensConfiguration": {
            "Id": "org-storage-lens",
            "AccountLevel": {
                "ActivityMetrics": {"IsEnabled": True},
                "BucketLevel": {
                    "ActivityMetrics": {"IsEnabled": True},
                    "PrefixLevel": {
                        "StorageMetrics": {
                            "IsEnabled": True,
                            "SelectionCriteria": {
                                "Delimiter": "/",
                                "MaxDepth": 5,
                                "MinStorageBytesPercentage": 1.0,
                            },
                        }
                    },
                },
            },
            "DataExport": {
                "S3BucketDestination": {
                    "Format": "CSV",
                    "OutputSchemaVersion": "V_1",
                    "AccountId": "444455556666",
                    "Arn": "arn:aws:s3:::org-log-archive-storage-lens",
                    "Prefix": "exports",
                    "Encryption": {"SSES3": {}},
                },
                "CloudWatchMetrics": {"IsEnabled": True},
            },
            "AwsOrg": {"Arn": "arn:aws:organizations::111122223333:organization/o-a1b2c3d4e5"},
            "IsEnabled": True,
            "StorageLensArn": f"arn:aws:s3:us-east-1:{ACCOUNT_ID}:storage-lens/org-storage-lens",
        }
    },
    {
        "StorageLensConfiguration": {
            "Id": "default-account-dashboard",
            "AccountLevel": {"BucketLevel": {}},
            "IsEnabled": False,
            "StorageLensArn": f"arn:aws:s3:us-east-1:{ACCOUNT_ID}:storage-lens/default-account-dashboard",
        }
    },
]
