// The APIs the simulator calls, with request/response templates, and each service's
// error vocabulary. Names and shapes follow real CloudTrail records.

#include <array>

#include "sim/catalog.h"

namespace trailsight::sim {
namespace {

constexpr ApiSpec kApis[] = {
    // EC2
    {"ec2", "DescribeInstances", true,
     R"({"instancesSet":{"items":[{"instanceId":"$instance"}]},"filterSet":{}})"},
    {"ec2", "DescribeInstanceStatus", true,
     R"({"instancesSet":{},"filterSet":{},"includeAllInstances":false})"},
    {"ec2", "DescribeVolumes", true,
     R"({"volumeSet":{},"filterSet":{"items":[{"name":"attachment.instance-id","valueSet":{"items":[{"value":"$instance"}]}}]}})"},
    {"ec2", "DescribeSnapshots", true,
     R"({"snapshotSet":{},"ownersSet":{"items":[{"owner":"self"}]},"filterSet":{}})"},
    {"ec2", "DescribeSecurityGroups", true,
     R"({"securityGroupSet":{"items":[{"groupId":"$sg"}]},"filterSet":{}})"},
    {"ec2", "DescribeSubnets", true,
     R"({"subnetSet":{},"filterSet":{"items":[{"name":"vpc-id","valueSet":{"items":[{"value":"$vpc"}]}}]}})"},
    {"ec2", "DescribeVpcs", true, R"({"vpcSet":{},"filterSet":{}})"},
    {"ec2", "DescribeImages", true,
     R"({"executableBySet":{},"imagesSet":{"items":[{"imageId":"$ami"}]},"ownersSet":{}})"},
    {"ec2", "DescribeRegions", true, R"({"regionSet":{}})"},
    {"ec2", "DescribeTags", true,
     R"({"filterSet":{"items":[{"name":"resource-id","valueSet":{"items":[{"value":"$instance"}]}}]}})"},
    {"ec2", "DescribeNetworkInterfaces", true, R"({"networkInterfaceIdSet":{},"filterSet":{}})"},
    {"ec2", "DescribeFlowLogs", true, R"({"flowLogIds":{},"filterSet":{}})"},
    {"ec2", "RunInstances", false,
     R"({"instancesSet":{"items":[{"imageId":"$ami","minCount":1,"maxCount":1}]},"instanceType":"m6i.large","subnetId":"$subnet"})",
     R"({"requestId":"$uuid","reservationId":"r-$hex17","ownerId":"$acct","instancesSet":{"items":[{"instanceId":"$newinstance","imageId":"$ami","instanceState":{"code":0,"name":"pending"}}]}})"},
    {"ec2", "TerminateInstances", false,
     R"({"instancesSet":{"items":[{"instanceId":"$instance"}]}})",
     R"({"requestId":"$uuid","instancesSet":{"items":[{"instanceId":"$instance","currentState":{"code":32,"name":"shutting-down"},"previousState":{"code":16,"name":"running"}}]}})",
     "Client.InvalidInstanceID.NotFound"},
    {"ec2", "StartInstances", false, R"({"instancesSet":{"items":[{"instanceId":"$instance"}]}})",
     R"({"requestId":"$uuid","instancesSet":{"items":[{"instanceId":"$instance","currentState":{"code":0,"name":"pending"},"previousState":{"code":80,"name":"stopped"}}]}})",
     "Client.InvalidInstanceID.NotFound"},
    {"ec2", "StopInstances", false,
     R"({"instancesSet":{"items":[{"instanceId":"$instance"}]},"force":false})",
     R"({"requestId":"$uuid","instancesSet":{"items":[{"instanceId":"$instance","currentState":{"code":64,"name":"stopping"},"previousState":{"code":16,"name":"running"}}]}})",
     "Client.InvalidInstanceID.NotFound"},
    {"ec2", "CreateTags", false,
     R"({"resourcesSet":{"items":[{"resourceId":"$instance"}]},"tagSet":{"items":[{"key":"owner","value":"$person"}]}})",
     R"({"requestId":"$uuid","_return":true})"},
    {"ec2", "CreateSnapshot", false, R"({"volumeId":"$volume","description":"nightly $date"})",
     R"({"requestId":"$uuid","snapshotId":"$newsnapshot","volumeId":"$volume","status":"pending","ownerId":"$acct","volumeSize":$n0})",
     "Client.InvalidVolume.NotFound"},
    {"ec2", "DeleteSnapshot", false, R"({"snapshotId":"$snapshot"})",
     R"({"requestId":"$uuid","_return":true})", "Client.InvalidSnapshot.NotFound"},
    {"ec2", "AuthorizeSecurityGroupIngress", false,
     R"({"groupId":"$sg","ipPermissions":{"items":[{"ipProtocol":"tcp","fromPort":443,"toPort":443}]}})",
     R"({"requestId":"$uuid","_return":true})"},
    {"ec2", "CreateNetworkInterface", false,
     R"({"subnetId":"$subnet","description":"AWS Lambda VPC ENI-$function"})",
     R"({"requestId":"$uuid","networkInterface":{"networkInterfaceId":"eni-0$hex16","subnetId":"$subnet","vpcId":"$vpc"}})"},
    // IAM (global)
    {"iam", "GetRole", true, R"({"roleName":"$role"})", "null", "NoSuchEntityException", false,
     true},
    {"iam", "ListRoles", true, R"({"maxItems":100})", "null", "", false, true},
    {"iam", "GetUser", true, R"({"userName":"$user"})", "null", "NoSuchEntityException", false,
     true},
    {"iam", "ListUsers", true, "null", "null", "", false, true},
    {"iam", "ListAttachedRolePolicies", true, R"({"roleName":"$role"})", "null",
     "NoSuchEntityException", false, true},
    {"iam", "ListRolePolicies", true, R"({"roleName":"$role"})", "null", "NoSuchEntityException",
     false, true},
    {"iam", "GetPolicy", true, R"({"policyArn":"arn:aws:iam::$acct:policy/$role-policy"})", "null",
     "NoSuchEntityException", false, true},
    {"iam", "GetPolicyVersion", true,
     R"({"policyArn":"arn:aws:iam::$acct:policy/$role-policy","versionId":"v$n"})", "null",
     "NoSuchEntityException", false, true},
    {"iam", "ListAccessKeys", true, R"({"userName":"$user"})", "null", "NoSuchEntityException",
     false, true},
    {"iam", "GetAccountSummary", true, "null", "null", "", false, true},
    {"iam", "GetAccountPasswordPolicy", true, "null", "null", "", false, true},
    {"iam", "AttachRolePolicy", false,
     R"({"roleName":"$role","policyArn":"arn:aws:iam::aws:policy/ReadOnlyAccess"})", "null",
     "NoSuchEntityException", false, true},
    {"iam", "PutRolePolicy", false, R"({"roleName":"$role","policyName":"inline-$function"})",
     "null", "NoSuchEntityException", false, true},
    {"iam", "TagRole", false, R"({"roleName":"$role","tags":[{"key":"team","value":"platform"}]})",
     "null", "NoSuchEntityException", false, true},
    {"iam", "UpdateAssumeRolePolicy", false, R"({"roleName":"$role"})", "null",
     "NoSuchEntityException", false, true},
    // STS
    {"sts", "AssumeRole", true,
     R"({"roleArn":"arn:aws:iam::$acct:role/$assumedrole","roleSessionName":"$assumedsession","durationSeconds":3600})",
     R"({"credentials":{"accessKeyId":"ASIA$key16","expiration":"$later"},"assumedRoleUser":{"assumedRoleId":"AROA$key17:$assumedsession","arn":"arn:aws:sts::$acct:assumed-role/$assumedrolename/$assumedsession"}})"},
    {"sts", "GetCallerIdentity", true},
    {"sts", "AssumeRoleWithWebIdentity", true,
     R"({"roleArn":"arn:aws:iam::$acct:role/github-actions-deployer","roleSessionName":"GitHubActions","durationSeconds":3600})",
     R"({"credentials":{"accessKeyId":"ASIA$key16","expiration":"$later"},"provider":"arn:aws:iam::$acct:oidc-provider/token.actions.githubusercontent.com","audience":"sts.amazonaws.com"})"},
    // S3 (bucket-level management, object-level data events)
    {"s3", "ListBuckets", true, R"({"Host":"s3.amazonaws.com"})"},
    {"s3", "GetBucketLocation", true,
     R"({"bucketName":"$bucket","Host":"$bucket.s3.amazonaws.com","location":""})", "null",
     "NoSuchBucket"},
    {"s3", "GetBucketAcl", true,
     R"({"bucketName":"$bucket","Host":"$bucket.s3.amazonaws.com","acl":""})", "null",
     "NoSuchBucket"},
    {"s3", "GetBucketPolicy", true,
     R"({"bucketName":"$bucket","Host":"$bucket.s3.amazonaws.com","policy":""})", "null",
     "NoSuchBucketPolicy"},
    {"s3", "GetBucketVersioning", true,
     R"({"bucketName":"$bucket","Host":"$bucket.s3.amazonaws.com","versioning":""})", "null",
     "NoSuchBucket"},
    {"s3", "GetBucketEncryption", true,
     R"({"bucketName":"$bucket","Host":"$bucket.s3.amazonaws.com","encryption":""})", "null",
     "ServerSideEncryptionConfigurationNotFoundError"},
    {"s3", "PutBucketTagging", false,
     R"({"bucketName":"$bucket","Host":"$bucket.s3.amazonaws.com","tagging":""})", "null",
     "NoSuchBucket"},
    {"s3", "GetObject", true,
     R"({"bucketName":"$bucket","Host":"$bucket.s3.$region.amazonaws.com","key":"$object"})",
     "null", "NoSuchKey", true},
    {"s3", "PutObject", false,
     R"({"bucketName":"$bucket","Host":"$bucket.s3.$region.amazonaws.com","key":"$object"})",
     "null", "NoSuchBucket", true},
    // Lambda (event names carry the API version, as in CloudTrail)
    {"lambda", "ListFunctions20150331", true, "null"},
    {"lambda", "GetFunction20150331v2", true, R"({"functionName":"$function"})", "null",
     "ResourceNotFoundException"},
    {"lambda", "GetFunctionConfiguration20150331v2", true, R"({"functionName":"$function"})",
     "null", "ResourceNotFoundException"},
    {"lambda", "ListTags20170331", true,
     R"({"resource":"arn:aws:lambda:$region:$acct:function:$function"})"},
    {"lambda", "UpdateFunctionCode20150331v2", false,
     R"({"functionName":"$function","s3Bucket":"$bucket","s3Key":"builds/$function-$hex8.zip","publish":true})",
     R"({"functionName":"$function","version":"$n","lastUpdateStatus":"InProgress"})",
     "ResourceNotFoundException"},
    {"lambda", "UpdateFunctionConfiguration20150331v2", false,
     R"({"functionName":"$function","timeout":$n0,"environment":{}})",
     R"({"functionName":"$function","lastUpdateStatus":"InProgress"})",
     "ResourceNotFoundException"},
    {"lambda", "PublishVersion20150331", false, R"({"functionName":"$function"})",
     R"({"functionName":"$function","version":"$n"})", "ResourceNotFoundException"},
    // CloudFormation
    {"cloudformation", "DescribeStacks", true, R"({"stackName":"$stack"})", "null",
     "ValidationError"},
    {"cloudformation", "ListStacks", true,
     R"({"stackStatusFilter":["CREATE_COMPLETE","UPDATE_COMPLETE"]})"},
    {"cloudformation", "DescribeStackEvents", true, R"({"stackName":"$stack"})", "null",
     "ValidationError"},
    {"cloudformation", "GetTemplate", true, R"({"stackName":"$stack"})", "null", "ValidationError"},
    {"cloudformation", "DescribeChangeSet", true,
     R"({"changeSetName":"deploy-$hex8","stackName":"$stack"})", "null", "ChangeSetNotFound"},
    {"cloudformation", "CreateChangeSet", false,
     R"({"stackName":"$stack","changeSetName":"deploy-$hex8","changeSetType":"UPDATE","capabilities":["CAPABILITY_IAM"]})",
     R"({"id":"arn:aws:cloudformation:$region:$acct:changeSet/deploy-$hex8/$uuid","stackId":"arn:aws:cloudformation:$region:$acct:stack/$stack/$uuid"})",
     "ValidationError"},
    {"cloudformation", "ExecuteChangeSet", false,
     R"({"changeSetName":"deploy-$hex8","stackName":"$stack"})", "null", "ChangeSetNotFound"},
    // SSM
    {"ssm", "GetParameter", true, R"({"name":"$param","withDecryption":true})", "null",
     "ParameterNotFound"},
    {"ssm", "GetParameters", true, R"({"names":["$param"],"withDecryption":true})"},
    {"ssm", "GetParametersByPath", true,
     R"({"path":"/$stack/","recursive":true,"withDecryption":true})"},
    {"ssm", "DescribeInstanceInformation", true, R"({"maxResults":50})"},
    {"ssm", "ListInstanceAssociations", true, R"({"instanceId":"$instance","maxResults":20})"},
    {"ssm", "UpdateInstanceInformation", false,
     R"({"instanceId":"$instance","agentVersion":"3.3.131.0","agentStatus":"Active","platformType":"Linux","platformName":"Amazon Linux","platformVersion":"2023"})"},
    {"ssm", "PutParameter", false, R"({"name":"$param","type":"SecureString","overwrite":true})",
     R"({"version":$n,"tier":"Standard"})"},
    {"ssm", "SendCommand", false,
     R"({"instanceIds":["$instance"],"documentName":"AWS-RunShellScript"})",
     R"({"command":{"commandId":"$uuid","documentName":"AWS-RunShellScript","status":"Pending"}})"},
    // KMS
    {"kms", "Decrypt", true,
     R"({"encryptionAlgorithm":"SYMMETRIC_DEFAULT","keyId":"arn:aws:kms:$region:$acct:key/$kmskey"})"},
    {"kms", "GenerateDataKey", true,
     R"({"keyId":"arn:aws:kms:$region:$acct:key/$kmskey","keySpec":"AES_256"})"},
    {"kms", "DescribeKey", true, R"({"keyId":"$kmskey"})", "null", "NotFoundException"},
    {"kms", "ListAliases", true},
    {"kms", "ListKeys", true},
    {"kms", "CreateGrant", false,
     R"({"keyId":"arn:aws:kms:$region:$acct:key/$kmskey","operations":["Decrypt","GenerateDataKeyWithoutPlaintext"],"granteePrincipal":"$region.ebs.amazonaws.com"})",
     R"({"grantId":"$hex16$hex16$hex16$hex16","keyId":"arn:aws:kms:$region:$acct:key/$kmskey"})"},
    // Secrets Manager
    {"secretsmanager", "GetSecretValue", true, R"({"secretId":"$stack/db-credentials"})", "null",
     "ResourceNotFoundException"},
    {"secretsmanager", "DescribeSecret", true, R"({"secretId":"$stack/db-credentials"})", "null",
     "ResourceNotFoundException"},
    // CloudWatch Logs
    {"logs", "DescribeLogGroups", true, R"({"logGroupNamePrefix":"/aws/lambda/$function"})"},
    {"logs", "DescribeLogStreams", true,
     R"({"logGroupName":"/aws/lambda/$function","descending":true,"orderBy":"LastEventTime"})",
     "null", "ResourceNotFoundException"},
    {"logs", "FilterLogEvents", true,
     R"({"logGroupName":"/aws/lambda/$function","startTime":$epochms,"interleaved":true})", "null",
     "ResourceNotFoundException"},
    {"logs", "CreateLogStream", false,
     R"({"logGroupName":"/aws/lambda/$function","logStreamName":"$date/[$LATEST]$hex16$hex16"})",
     "null", "ResourceNotFoundException"},
    {"logs", "CreateLogGroup", false, R"({"logGroupName":"/aws/lambda/$function"})", "null",
     "ResourceAlreadyExistsException"},
    {"logs", "PutRetentionPolicy", false,
     R"({"logGroupName":"/aws/lambda/$function","retentionInDays":30})", "null",
     "ResourceNotFoundException"},
    // CloudWatch
    {"monitoring", "GetMetricData", true,
     R"({"metricDataQueries":[{"id":"m1"}],"startTime":"$earlier","endTime":"$now"})"},
    {"monitoring", "DescribeAlarms", true, R"({"maxRecords":100})"},
    {"monitoring", "PutMetricAlarm", false,
     R"({"alarmName":"$function-errors","metricName":"Errors","namespace":"AWS/Lambda","threshold":1.0})"},
    // RDS
    {"rds", "DescribeDBInstances", true, R"({"dBInstanceIdentifier":"$db"})", "null",
     "DBInstanceNotFound"},
    {"rds", "DescribeDBClusters", true, "null"},
    {"rds", "DescribeDBSnapshots", true,
     R"({"dBInstanceIdentifier":"$db","snapshotType":"automated"})"},
    {"rds", "ListTagsForResource", true, R"({"resourceName":"arn:aws:rds:$region:$acct:db:$db"})"},
    {"rds", "CreateDBSnapshot", false,
     R"({"dBSnapshotIdentifier":"$db-manual-$date","dBInstanceIdentifier":"$db"})",
     R"({"dBSnapshotIdentifier":"$db-manual-$date","status":"creating"})", "DBInstanceNotFound"},
    {"rds", "ModifyDBInstance", false, R"({"dBInstanceIdentifier":"$db","applyImmediately":false})",
     R"({"dBInstanceIdentifier":"$db","dBInstanceStatus":"available"})", "DBInstanceNotFound"},
    // Auto Scaling
    {"autoscaling", "DescribeAutoScalingGroups", true, R"({"autoScalingGroupNames":["$asg"]})"},
    {"autoscaling", "DescribeScalingActivities", true,
     R"({"autoScalingGroupName":"$asg","maxRecords":20})"},
    {"autoscaling", "DescribeLaunchConfigurations", true, "null"},
    {"autoscaling", "SetDesiredCapacity", false,
     R"({"autoScalingGroupName":"$asg","desiredCapacity":$n,"honorCooldown":false})", "null",
     "ValidationError"},
    {"autoscaling", "UpdateAutoScalingGroup", false,
     R"({"autoScalingGroupName":"$asg","maxSize":$n0})", "null", "ValidationError"},
    // Load balancing
    {"elasticloadbalancing", "DescribeLoadBalancers", true, R"({"pageSize":400})"},
    {"elasticloadbalancing", "DescribeTargetHealth", true,
     R"({"targetGroupArn":"arn:aws:elasticloadbalancing:$region:$acct:targetgroup/$asg/$hex16"})"},
    // DynamoDB, ECR
    {"dynamodb", "DescribeTable", true, R"({"tableName":"$stack-table"})", "null",
     "ResourceNotFoundException"},
    {"dynamodb", "ListTables", true, "null"},
    {"ecr", "GetAuthorizationToken", true, "null"},
    {"ecr", "DescribeRepositories", true, "null"},
    // CloudTrail (reads only: writes to trails are tamper signals, not background)
    {"cloudtrail", "DescribeTrails", true, R"({"includeShadowTrails":true})"},
    {"cloudtrail", "GetTrailStatus", true,
     R"({"name":"arn:aws:cloudtrail:us-east-1:$acct:trail/org-trail"})"},
    {"cloudtrail", "GetEventSelectors", true, R"({"trailName":"org-trail"})"},
    {"cloudtrail", "ListTrails", true},
    {"cloudtrail", "LookupEvents", true,
     R"({"maxResults":50,"lookupAttributes":[{"attributeKey":"EventName","attributeValue":"ConsoleLogin"}]})"},
    // AWS Config
    {"config", "DescribeConfigurationRecorderStatus", true},
    {"config", "DescribeComplianceByConfigRule", true, "null"},
};

const ServiceErrors kDefaultErrors{};
const ServiceErrors kEc2Errors{
    "Client.UnauthorizedOperation",
    "You are not authorized to perform this operation. User: $arn is not authorized to perform: "
    "$action because no identity-based policy allows the $action action",
    "Client.RequestLimitExceeded", "Request limit exceeded."};
const ServiceErrors kS3Errors{"AccessDenied", "Access Denied", "SlowDown",
                              "Please reduce your request rate."};
const ServiceErrors kIamErrors{"AccessDenied", kDefaultErrors.denied_message, "Throttling",
                               "Rate exceeded"};
const ServiceErrors kLambdaErrors{"AccessDenied", kDefaultErrors.denied_message,
                                  "TooManyRequestsException", "Rate exceeded"};
const ServiceErrors kDeniedExceptionErrors{"AccessDeniedException", kDefaultErrors.denied_message,
                                           "ThrottlingException", "Rate exceeded"};

}  // namespace

std::span<const ApiSpec> ApiCatalog() { return kApis; }

const ServiceErrors& ErrorsOf(std::string_view service) {
  if (service == "ec2") return kEc2Errors;
  if (service == "s3") return kS3Errors;
  if (service == "iam" || service == "autoscaling" || service == "cloudformation") {
    return kIamErrors;
  }
  if (service == "lambda") return kLambdaErrors;
  if (service == "kms" || service == "ssm" || service == "logs" || service == "secretsmanager" ||
      service == "dynamodb" || service == "ecr" || service == "monitoring") {
    return kDeniedExceptionErrors;
  }
  return kDefaultErrors;
}

}  // namespace trailsight::sim
