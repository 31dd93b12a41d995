//! Every S3 operation, forwarded through s3s-aws's `Proxy` to the routed client, with errors
//! made fit for a client (see `service.rs`). Generated from s3s-aws 0.14.1's operation list
//! (`src/proxy/generated.rs`: each `async fn name(&self, req: S3Request<Input>) ->
//! S3Result<S3Response<Output>>`); the operations the gateway answers itself call into
//! `service.rs`. Regenerate when s3s-aws moves.

use s3s::dto;
use s3s::{S3, S3Request, S3Response, S3Result};

use crate::service::{GatewayS3, answer};

/// Every operation s3s names (`S3Operation::name`), for labels that must be `'static`.
pub(crate) const OPERATIONS: &[&str] = &[
    "AbortMultipartUpload",
    "CompleteMultipartUpload",
    "CopyObject",
    "CreateBucket",
    "CreateBucketMetadataTableConfiguration",
    "CreateMultipartUpload",
    "CreateSession",
    "DeleteBucket",
    "DeleteBucketAnalyticsConfiguration",
    "DeleteBucketCors",
    "DeleteBucketEncryption",
    "DeleteBucketIntelligentTieringConfiguration",
    "DeleteBucketInventoryConfiguration",
    "DeleteBucketLifecycle",
    "DeleteBucketMetadataTableConfiguration",
    "DeleteBucketMetricsConfiguration",
    "DeleteBucketOwnershipControls",
    "DeleteBucketPolicy",
    "DeleteBucketReplication",
    "DeleteBucketTagging",
    "DeleteBucketWebsite",
    "DeleteObject",
    "DeleteObjectTagging",
    "DeleteObjects",
    "DeletePublicAccessBlock",
    "GetBucketAccelerateConfiguration",
    "GetBucketAcl",
    "GetBucketAnalyticsConfiguration",
    "GetBucketCors",
    "GetBucketEncryption",
    "GetBucketIntelligentTieringConfiguration",
    "GetBucketInventoryConfiguration",
    "GetBucketLifecycleConfiguration",
    "GetBucketLocation",
    "GetBucketLogging",
    "GetBucketMetadataTableConfiguration",
    "GetBucketMetricsConfiguration",
    "GetBucketNotificationConfiguration",
    "GetBucketOwnershipControls",
    "GetBucketPolicy",
    "GetBucketPolicyStatus",
    "GetBucketReplication",
    "GetBucketRequestPayment",
    "GetBucketTagging",
    "GetBucketVersioning",
    "GetBucketWebsite",
    "GetObject",
    "GetObjectAcl",
    "GetObjectAttributes",
    "GetObjectLegalHold",
    "GetObjectLockConfiguration",
    "GetObjectRetention",
    "GetObjectTagging",
    "GetObjectTorrent",
    "GetPublicAccessBlock",
    "HeadBucket",
    "HeadObject",
    "ListBucketAnalyticsConfigurations",
    "ListBucketIntelligentTieringConfigurations",
    "ListBucketInventoryConfigurations",
    "ListBucketMetricsConfigurations",
    "ListBuckets",
    "ListDirectoryBuckets",
    "ListMultipartUploads",
    "ListObjectVersions",
    "ListObjects",
    "ListObjectsV2",
    "ListParts",
    "PostObject",
    "PutBucketAccelerateConfiguration",
    "PutBucketAcl",
    "PutBucketAnalyticsConfiguration",
    "PutBucketCors",
    "PutBucketEncryption",
    "PutBucketIntelligentTieringConfiguration",
    "PutBucketInventoryConfiguration",
    "PutBucketLifecycleConfiguration",
    "PutBucketLogging",
    "PutBucketMetricsConfiguration",
    "PutBucketNotificationConfiguration",
    "PutBucketOwnershipControls",
    "PutBucketPolicy",
    "PutBucketReplication",
    "PutBucketRequestPayment",
    "PutBucketTagging",
    "PutBucketVersioning",
    "PutBucketWebsite",
    "PutObject",
    "PutObjectAcl",
    "PutObjectLegalHold",
    "PutObjectLockConfiguration",
    "PutObjectRetention",
    "PutObjectTagging",
    "PutPublicAccessBlock",
    "RestoreObject",
    "SelectObjectContent",
    "UploadPart",
    "UploadPartCopy",
    "WriteGetObjectResponse",
];

#[async_trait::async_trait]
impl S3 for GatewayS3 {
    async fn abort_multipart_upload(
        &self,
        req: S3Request<dto::AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<dto::AbortMultipartUploadOutput>> {
        self.abort_multipart_upload_here(req).await
    }

    async fn complete_multipart_upload(
        &self,
        req: S3Request<dto::CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<dto::CompleteMultipartUploadOutput>> {
        self.complete_multipart_upload_here(req).await
    }

    async fn copy_object(
        &self,
        req: S3Request<dto::CopyObjectInput>,
    ) -> S3Result<S3Response<dto::CopyObjectOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.copy_object(req).await)
    }

    async fn create_bucket(
        &self,
        req: S3Request<dto::CreateBucketInput>,
    ) -> S3Result<S3Response<dto::CreateBucketOutput>> {
        self.create_bucket_here(req).await
    }

    async fn create_bucket_metadata_table_configuration(
        &self,
        req: S3Request<dto::CreateBucketMetadataTableConfigurationInput>,
    ) -> S3Result<S3Response<dto::CreateBucketMetadataTableConfigurationOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(
            self.proxy
                .create_bucket_metadata_table_configuration(req)
                .await,
        )
    }

    async fn create_multipart_upload(
        &self,
        req: S3Request<dto::CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<dto::CreateMultipartUploadOutput>> {
        self.create_multipart_upload_here(req).await
    }

    async fn create_session(
        &self,
        req: S3Request<dto::CreateSessionInput>,
    ) -> S3Result<S3Response<dto::CreateSessionOutput>> {
        self.create_session_here(req).await
    }

    async fn delete_bucket(
        &self,
        req: S3Request<dto::DeleteBucketInput>,
    ) -> S3Result<S3Response<dto::DeleteBucketOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.delete_bucket(req).await)
    }

    async fn delete_bucket_analytics_configuration(
        &self,
        req: S3Request<dto::DeleteBucketAnalyticsConfigurationInput>,
    ) -> S3Result<S3Response<dto::DeleteBucketAnalyticsConfigurationOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.delete_bucket_analytics_configuration(req).await)
    }

    async fn delete_bucket_cors(
        &self,
        req: S3Request<dto::DeleteBucketCorsInput>,
    ) -> S3Result<S3Response<dto::DeleteBucketCorsOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.delete_bucket_cors(req).await)
    }

    async fn delete_bucket_encryption(
        &self,
        req: S3Request<dto::DeleteBucketEncryptionInput>,
    ) -> S3Result<S3Response<dto::DeleteBucketEncryptionOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.delete_bucket_encryption(req).await)
    }

    async fn delete_bucket_intelligent_tiering_configuration(
        &self,
        req: S3Request<dto::DeleteBucketIntelligentTieringConfigurationInput>,
    ) -> S3Result<S3Response<dto::DeleteBucketIntelligentTieringConfigurationOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(
            self.proxy
                .delete_bucket_intelligent_tiering_configuration(req)
                .await,
        )
    }

    async fn delete_bucket_inventory_configuration(
        &self,
        req: S3Request<dto::DeleteBucketInventoryConfigurationInput>,
    ) -> S3Result<S3Response<dto::DeleteBucketInventoryConfigurationOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.delete_bucket_inventory_configuration(req).await)
    }

    async fn delete_bucket_lifecycle(
        &self,
        req: S3Request<dto::DeleteBucketLifecycleInput>,
    ) -> S3Result<S3Response<dto::DeleteBucketLifecycleOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.delete_bucket_lifecycle(req).await)
    }

    async fn delete_bucket_metadata_table_configuration(
        &self,
        req: S3Request<dto::DeleteBucketMetadataTableConfigurationInput>,
    ) -> S3Result<S3Response<dto::DeleteBucketMetadataTableConfigurationOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(
            self.proxy
                .delete_bucket_metadata_table_configuration(req)
                .await,
        )
    }

    async fn delete_bucket_metrics_configuration(
        &self,
        req: S3Request<dto::DeleteBucketMetricsConfigurationInput>,
    ) -> S3Result<S3Response<dto::DeleteBucketMetricsConfigurationOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.delete_bucket_metrics_configuration(req).await)
    }

    async fn delete_bucket_ownership_controls(
        &self,
        req: S3Request<dto::DeleteBucketOwnershipControlsInput>,
    ) -> S3Result<S3Response<dto::DeleteBucketOwnershipControlsOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.delete_bucket_ownership_controls(req).await)
    }

    async fn delete_bucket_policy(
        &self,
        req: S3Request<dto::DeleteBucketPolicyInput>,
    ) -> S3Result<S3Response<dto::DeleteBucketPolicyOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.delete_bucket_policy(req).await)
    }

    async fn delete_bucket_replication(
        &self,
        req: S3Request<dto::DeleteBucketReplicationInput>,
    ) -> S3Result<S3Response<dto::DeleteBucketReplicationOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.delete_bucket_replication(req).await)
    }

    async fn delete_bucket_tagging(
        &self,
        req: S3Request<dto::DeleteBucketTaggingInput>,
    ) -> S3Result<S3Response<dto::DeleteBucketTaggingOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.delete_bucket_tagging(req).await)
    }

    async fn delete_bucket_website(
        &self,
        req: S3Request<dto::DeleteBucketWebsiteInput>,
    ) -> S3Result<S3Response<dto::DeleteBucketWebsiteOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.delete_bucket_website(req).await)
    }

    async fn delete_object(
        &self,
        req: S3Request<dto::DeleteObjectInput>,
    ) -> S3Result<S3Response<dto::DeleteObjectOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.delete_object(req).await)
    }

    async fn delete_object_tagging(
        &self,
        req: S3Request<dto::DeleteObjectTaggingInput>,
    ) -> S3Result<S3Response<dto::DeleteObjectTaggingOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.delete_object_tagging(req).await)
    }

    async fn delete_objects(
        &self,
        req: S3Request<dto::DeleteObjectsInput>,
    ) -> S3Result<S3Response<dto::DeleteObjectsOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.delete_objects(req).await)
    }

    async fn delete_public_access_block(
        &self,
        req: S3Request<dto::DeletePublicAccessBlockInput>,
    ) -> S3Result<S3Response<dto::DeletePublicAccessBlockOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.delete_public_access_block(req).await)
    }

    async fn get_bucket_accelerate_configuration(
        &self,
        req: S3Request<dto::GetBucketAccelerateConfigurationInput>,
    ) -> S3Result<S3Response<dto::GetBucketAccelerateConfigurationOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.get_bucket_accelerate_configuration(req).await)
    }

    async fn get_bucket_acl(
        &self,
        req: S3Request<dto::GetBucketAclInput>,
    ) -> S3Result<S3Response<dto::GetBucketAclOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.get_bucket_acl(req).await)
    }

    async fn get_bucket_analytics_configuration(
        &self,
        req: S3Request<dto::GetBucketAnalyticsConfigurationInput>,
    ) -> S3Result<S3Response<dto::GetBucketAnalyticsConfigurationOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.get_bucket_analytics_configuration(req).await)
    }

    async fn get_bucket_cors(
        &self,
        req: S3Request<dto::GetBucketCorsInput>,
    ) -> S3Result<S3Response<dto::GetBucketCorsOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.get_bucket_cors(req).await)
    }

    async fn get_bucket_encryption(
        &self,
        req: S3Request<dto::GetBucketEncryptionInput>,
    ) -> S3Result<S3Response<dto::GetBucketEncryptionOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.get_bucket_encryption(req).await)
    }

    async fn get_bucket_intelligent_tiering_configuration(
        &self,
        req: S3Request<dto::GetBucketIntelligentTieringConfigurationInput>,
    ) -> S3Result<S3Response<dto::GetBucketIntelligentTieringConfigurationOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(
            self.proxy
                .get_bucket_intelligent_tiering_configuration(req)
                .await,
        )
    }

    async fn get_bucket_inventory_configuration(
        &self,
        req: S3Request<dto::GetBucketInventoryConfigurationInput>,
    ) -> S3Result<S3Response<dto::GetBucketInventoryConfigurationOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.get_bucket_inventory_configuration(req).await)
    }

    async fn get_bucket_lifecycle_configuration(
        &self,
        req: S3Request<dto::GetBucketLifecycleConfigurationInput>,
    ) -> S3Result<S3Response<dto::GetBucketLifecycleConfigurationOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.get_bucket_lifecycle_configuration(req).await)
    }

    async fn get_bucket_location(
        &self,
        req: S3Request<dto::GetBucketLocationInput>,
    ) -> S3Result<S3Response<dto::GetBucketLocationOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.get_bucket_location(req).await)
    }

    async fn get_bucket_logging(
        &self,
        req: S3Request<dto::GetBucketLoggingInput>,
    ) -> S3Result<S3Response<dto::GetBucketLoggingOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.get_bucket_logging(req).await)
    }

    async fn get_bucket_metadata_table_configuration(
        &self,
        req: S3Request<dto::GetBucketMetadataTableConfigurationInput>,
    ) -> S3Result<S3Response<dto::GetBucketMetadataTableConfigurationOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(
            self.proxy
                .get_bucket_metadata_table_configuration(req)
                .await,
        )
    }

    async fn get_bucket_metrics_configuration(
        &self,
        req: S3Request<dto::GetBucketMetricsConfigurationInput>,
    ) -> S3Result<S3Response<dto::GetBucketMetricsConfigurationOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.get_bucket_metrics_configuration(req).await)
    }

    async fn get_bucket_notification_configuration(
        &self,
        req: S3Request<dto::GetBucketNotificationConfigurationInput>,
    ) -> S3Result<S3Response<dto::GetBucketNotificationConfigurationOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.get_bucket_notification_configuration(req).await)
    }

    async fn get_bucket_ownership_controls(
        &self,
        req: S3Request<dto::GetBucketOwnershipControlsInput>,
    ) -> S3Result<S3Response<dto::GetBucketOwnershipControlsOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.get_bucket_ownership_controls(req).await)
    }

    async fn get_bucket_policy(
        &self,
        req: S3Request<dto::GetBucketPolicyInput>,
    ) -> S3Result<S3Response<dto::GetBucketPolicyOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.get_bucket_policy(req).await)
    }

    async fn get_bucket_policy_status(
        &self,
        req: S3Request<dto::GetBucketPolicyStatusInput>,
    ) -> S3Result<S3Response<dto::GetBucketPolicyStatusOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.get_bucket_policy_status(req).await)
    }

    async fn get_bucket_replication(
        &self,
        req: S3Request<dto::GetBucketReplicationInput>,
    ) -> S3Result<S3Response<dto::GetBucketReplicationOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.get_bucket_replication(req).await)
    }

    async fn get_bucket_request_payment(
        &self,
        req: S3Request<dto::GetBucketRequestPaymentInput>,
    ) -> S3Result<S3Response<dto::GetBucketRequestPaymentOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.get_bucket_request_payment(req).await)
    }

    async fn get_bucket_tagging(
        &self,
        req: S3Request<dto::GetBucketTaggingInput>,
    ) -> S3Result<S3Response<dto::GetBucketTaggingOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.get_bucket_tagging(req).await)
    }

    async fn get_bucket_versioning(
        &self,
        req: S3Request<dto::GetBucketVersioningInput>,
    ) -> S3Result<S3Response<dto::GetBucketVersioningOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.get_bucket_versioning(req).await)
    }

    async fn get_bucket_website(
        &self,
        req: S3Request<dto::GetBucketWebsiteInput>,
    ) -> S3Result<S3Response<dto::GetBucketWebsiteOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.get_bucket_website(req).await)
    }

    async fn get_object(
        &self,
        req: S3Request<dto::GetObjectInput>,
    ) -> S3Result<S3Response<dto::GetObjectOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.get_object(req).await)
    }

    async fn get_object_acl(
        &self,
        req: S3Request<dto::GetObjectAclInput>,
    ) -> S3Result<S3Response<dto::GetObjectAclOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.get_object_acl(req).await)
    }

    async fn get_object_attributes(
        &self,
        req: S3Request<dto::GetObjectAttributesInput>,
    ) -> S3Result<S3Response<dto::GetObjectAttributesOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.get_object_attributes(req).await)
    }

    async fn get_object_legal_hold(
        &self,
        req: S3Request<dto::GetObjectLegalHoldInput>,
    ) -> S3Result<S3Response<dto::GetObjectLegalHoldOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.get_object_legal_hold(req).await)
    }

    async fn get_object_lock_configuration(
        &self,
        req: S3Request<dto::GetObjectLockConfigurationInput>,
    ) -> S3Result<S3Response<dto::GetObjectLockConfigurationOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.get_object_lock_configuration(req).await)
    }

    async fn get_object_retention(
        &self,
        req: S3Request<dto::GetObjectRetentionInput>,
    ) -> S3Result<S3Response<dto::GetObjectRetentionOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.get_object_retention(req).await)
    }

    async fn get_object_tagging(
        &self,
        req: S3Request<dto::GetObjectTaggingInput>,
    ) -> S3Result<S3Response<dto::GetObjectTaggingOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.get_object_tagging(req).await)
    }

    async fn get_object_torrent(
        &self,
        req: S3Request<dto::GetObjectTorrentInput>,
    ) -> S3Result<S3Response<dto::GetObjectTorrentOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.get_object_torrent(req).await)
    }

    async fn get_public_access_block(
        &self,
        req: S3Request<dto::GetPublicAccessBlockInput>,
    ) -> S3Result<S3Response<dto::GetPublicAccessBlockOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.get_public_access_block(req).await)
    }

    async fn head_bucket(
        &self,
        req: S3Request<dto::HeadBucketInput>,
    ) -> S3Result<S3Response<dto::HeadBucketOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.head_bucket(req).await)
    }

    async fn head_object(
        &self,
        req: S3Request<dto::HeadObjectInput>,
    ) -> S3Result<S3Response<dto::HeadObjectOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.head_object(req).await)
    }

    async fn list_bucket_analytics_configurations(
        &self,
        req: S3Request<dto::ListBucketAnalyticsConfigurationsInput>,
    ) -> S3Result<S3Response<dto::ListBucketAnalyticsConfigurationsOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.list_bucket_analytics_configurations(req).await)
    }

    async fn list_bucket_intelligent_tiering_configurations(
        &self,
        req: S3Request<dto::ListBucketIntelligentTieringConfigurationsInput>,
    ) -> S3Result<S3Response<dto::ListBucketIntelligentTieringConfigurationsOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(
            self.proxy
                .list_bucket_intelligent_tiering_configurations(req)
                .await,
        )
    }

    async fn list_bucket_inventory_configurations(
        &self,
        req: S3Request<dto::ListBucketInventoryConfigurationsInput>,
    ) -> S3Result<S3Response<dto::ListBucketInventoryConfigurationsOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.list_bucket_inventory_configurations(req).await)
    }

    async fn list_bucket_metrics_configurations(
        &self,
        req: S3Request<dto::ListBucketMetricsConfigurationsInput>,
    ) -> S3Result<S3Response<dto::ListBucketMetricsConfigurationsOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.list_bucket_metrics_configurations(req).await)
    }

    async fn list_buckets(
        &self,
        req: S3Request<dto::ListBucketsInput>,
    ) -> S3Result<S3Response<dto::ListBucketsOutput>> {
        self.list_buckets_here(req).await
    }

    async fn list_directory_buckets(
        &self,
        req: S3Request<dto::ListDirectoryBucketsInput>,
    ) -> S3Result<S3Response<dto::ListDirectoryBucketsOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.list_directory_buckets(req).await)
    }

    async fn list_multipart_uploads(
        &self,
        req: S3Request<dto::ListMultipartUploadsInput>,
    ) -> S3Result<S3Response<dto::ListMultipartUploadsOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.list_multipart_uploads(req).await)
    }

    async fn list_object_versions(
        &self,
        req: S3Request<dto::ListObjectVersionsInput>,
    ) -> S3Result<S3Response<dto::ListObjectVersionsOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.list_object_versions(req).await)
    }

    async fn list_objects(
        &self,
        req: S3Request<dto::ListObjectsInput>,
    ) -> S3Result<S3Response<dto::ListObjectsOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.list_objects(req).await)
    }

    async fn list_objects_v2(
        &self,
        req: S3Request<dto::ListObjectsV2Input>,
    ) -> S3Result<S3Response<dto::ListObjectsV2Output>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.list_objects_v2(req).await)
    }

    async fn list_parts(
        &self,
        req: S3Request<dto::ListPartsInput>,
    ) -> S3Result<S3Response<dto::ListPartsOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.list_parts(req).await)
    }

    async fn put_bucket_accelerate_configuration(
        &self,
        req: S3Request<dto::PutBucketAccelerateConfigurationInput>,
    ) -> S3Result<S3Response<dto::PutBucketAccelerateConfigurationOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.put_bucket_accelerate_configuration(req).await)
    }

    async fn put_bucket_acl(
        &self,
        req: S3Request<dto::PutBucketAclInput>,
    ) -> S3Result<S3Response<dto::PutBucketAclOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.put_bucket_acl(req).await)
    }

    async fn put_bucket_analytics_configuration(
        &self,
        req: S3Request<dto::PutBucketAnalyticsConfigurationInput>,
    ) -> S3Result<S3Response<dto::PutBucketAnalyticsConfigurationOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.put_bucket_analytics_configuration(req).await)
    }

    async fn put_bucket_cors(
        &self,
        req: S3Request<dto::PutBucketCorsInput>,
    ) -> S3Result<S3Response<dto::PutBucketCorsOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.put_bucket_cors(req).await)
    }

    async fn put_bucket_encryption(
        &self,
        req: S3Request<dto::PutBucketEncryptionInput>,
    ) -> S3Result<S3Response<dto::PutBucketEncryptionOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.put_bucket_encryption(req).await)
    }

    async fn put_bucket_intelligent_tiering_configuration(
        &self,
        req: S3Request<dto::PutBucketIntelligentTieringConfigurationInput>,
    ) -> S3Result<S3Response<dto::PutBucketIntelligentTieringConfigurationOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(
            self.proxy
                .put_bucket_intelligent_tiering_configuration(req)
                .await,
        )
    }

    async fn put_bucket_inventory_configuration(
        &self,
        req: S3Request<dto::PutBucketInventoryConfigurationInput>,
    ) -> S3Result<S3Response<dto::PutBucketInventoryConfigurationOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.put_bucket_inventory_configuration(req).await)
    }

    async fn put_bucket_lifecycle_configuration(
        &self,
        req: S3Request<dto::PutBucketLifecycleConfigurationInput>,
    ) -> S3Result<S3Response<dto::PutBucketLifecycleConfigurationOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.put_bucket_lifecycle_configuration(req).await)
    }

    async fn put_bucket_logging(
        &self,
        req: S3Request<dto::PutBucketLoggingInput>,
    ) -> S3Result<S3Response<dto::PutBucketLoggingOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.put_bucket_logging(req).await)
    }

    async fn put_bucket_metrics_configuration(
        &self,
        req: S3Request<dto::PutBucketMetricsConfigurationInput>,
    ) -> S3Result<S3Response<dto::PutBucketMetricsConfigurationOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.put_bucket_metrics_configuration(req).await)
    }

    async fn put_bucket_notification_configuration(
        &self,
        req: S3Request<dto::PutBucketNotificationConfigurationInput>,
    ) -> S3Result<S3Response<dto::PutBucketNotificationConfigurationOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.put_bucket_notification_configuration(req).await)
    }

    async fn put_bucket_ownership_controls(
        &self,
        req: S3Request<dto::PutBucketOwnershipControlsInput>,
    ) -> S3Result<S3Response<dto::PutBucketOwnershipControlsOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.put_bucket_ownership_controls(req).await)
    }

    async fn put_bucket_policy(
        &self,
        req: S3Request<dto::PutBucketPolicyInput>,
    ) -> S3Result<S3Response<dto::PutBucketPolicyOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.put_bucket_policy(req).await)
    }

    async fn put_bucket_replication(
        &self,
        req: S3Request<dto::PutBucketReplicationInput>,
    ) -> S3Result<S3Response<dto::PutBucketReplicationOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.put_bucket_replication(req).await)
    }

    async fn put_bucket_request_payment(
        &self,
        req: S3Request<dto::PutBucketRequestPaymentInput>,
    ) -> S3Result<S3Response<dto::PutBucketRequestPaymentOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.put_bucket_request_payment(req).await)
    }

    async fn put_bucket_tagging(
        &self,
        req: S3Request<dto::PutBucketTaggingInput>,
    ) -> S3Result<S3Response<dto::PutBucketTaggingOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.put_bucket_tagging(req).await)
    }

    async fn put_bucket_versioning(
        &self,
        req: S3Request<dto::PutBucketVersioningInput>,
    ) -> S3Result<S3Response<dto::PutBucketVersioningOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.put_bucket_versioning(req).await)
    }

    async fn put_bucket_website(
        &self,
        req: S3Request<dto::PutBucketWebsiteInput>,
    ) -> S3Result<S3Response<dto::PutBucketWebsiteOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.put_bucket_website(req).await)
    }

    async fn put_object(
        &self,
        req: S3Request<dto::PutObjectInput>,
    ) -> S3Result<S3Response<dto::PutObjectOutput>> {
        self.put_object_here(req).await
    }

    async fn put_object_acl(
        &self,
        req: S3Request<dto::PutObjectAclInput>,
    ) -> S3Result<S3Response<dto::PutObjectAclOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.put_object_acl(req).await)
    }

    async fn put_object_legal_hold(
        &self,
        req: S3Request<dto::PutObjectLegalHoldInput>,
    ) -> S3Result<S3Response<dto::PutObjectLegalHoldOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.put_object_legal_hold(req).await)
    }

    async fn put_object_lock_configuration(
        &self,
        req: S3Request<dto::PutObjectLockConfigurationInput>,
    ) -> S3Result<S3Response<dto::PutObjectLockConfigurationOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.put_object_lock_configuration(req).await)
    }

    async fn put_object_retention(
        &self,
        req: S3Request<dto::PutObjectRetentionInput>,
    ) -> S3Result<S3Response<dto::PutObjectRetentionOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.put_object_retention(req).await)
    }

    async fn put_object_tagging(
        &self,
        req: S3Request<dto::PutObjectTaggingInput>,
    ) -> S3Result<S3Response<dto::PutObjectTaggingOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.put_object_tagging(req).await)
    }

    async fn put_public_access_block(
        &self,
        req: S3Request<dto::PutPublicAccessBlockInput>,
    ) -> S3Result<S3Response<dto::PutPublicAccessBlockOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.put_public_access_block(req).await)
    }

    async fn restore_object(
        &self,
        req: S3Request<dto::RestoreObjectInput>,
    ) -> S3Result<S3Response<dto::RestoreObjectOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.restore_object(req).await)
    }

    async fn select_object_content(
        &self,
        req: S3Request<dto::SelectObjectContentInput>,
    ) -> S3Result<S3Response<dto::SelectObjectContentOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.select_object_content(req).await)
    }

    async fn upload_part(
        &self,
        req: S3Request<dto::UploadPartInput>,
    ) -> S3Result<S3Response<dto::UploadPartOutput>> {
        self.upload_part_here(req).await
    }

    async fn upload_part_copy(
        &self,
        req: S3Request<dto::UploadPartCopyInput>,
    ) -> S3Result<S3Response<dto::UploadPartCopyOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.upload_part_copy(req).await)
    }

    async fn write_get_object_response(
        &self,
        req: S3Request<dto::WriteGetObjectResponseInput>,
    ) -> S3Result<S3Response<dto::WriteGetObjectResponseOutput>> {
        crate::exchange::mark_forwarded(&req.extensions);
        answer(self.proxy.write_get_object_response(req).await)
    }
}
