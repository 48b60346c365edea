// Micro-benchmarks: one realistic CloudTrail record through RecordParser (simdjson
// On-Demand, interning against a warm interner), the ingest cost per record, and the same
// record as a Kafka message through MessageDecoder, the Kafka service's cost per message.
#include <benchmark/benchmark.h>

#include <string>

#include "common/interner.h"
#include "consumers/message_decoder.h"
#include "consumers/record_parser.h"

namespace trailsight::bench {
namespace {

// A TerminateInstances call by an assumed role, as CloudTrail writes it (about 1.3 KB).
const std::string kRecord =
    R"({"eventVersion":"1.09","userIdentity":{"type":"AssumedRole",)"
    R"("principalId":"AROAEXAMPLEID:deploy-7f3a","arn":"arn:aws:sts::123456789012:)"
    R"(assumed-role/Deployer/deploy-7f3a","accountId":"123456789012","accessKeyId":)"
    R"("ASIAEXAMPLEKEY","sessionContext":{"sessionIssuer":{"type":"Role","principalId":)"
    R"("AROAEXAMPLEID","arn":"arn:aws:iam::123456789012:role/Deployer","accountId":)"
    R"("123456789012","userName":"Deployer"},"attributes":{"creationDate":)"
    R"("2024-03-04T09:58:12Z","mfaAuthenticated":"false"}}},"eventTime":)"
    R"("2024-03-04T10:00:07Z","eventSource":"ec2.amazonaws.com","eventName":)"
    R"("TerminateInstances","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.24",)"
    R"("userAgent":"aws-cli/2.15.30 Python/3.11.8 Linux/6.1 exe/x86_64.amzn.2023",)"
    R"("requestParameters":{"instancesSet":{"items":[{"instanceId":"i-0abc123def4567890"}]}},)"
    R"("responseElements":{"requestId":"5e6f7a8b-1c2d-3e4f-5a6b-7c8d9e0f1a2b",)"
    R"("instancesSet":{"items":[{"instanceId":"i-0abc123def4567890","currentState":{"code":32,)"
    R"("name":"shutting-down"},"previousState":{"code":16,"name":"running"}}]}},)"
    R"("requestID":"5e6f7a8b-1c2d-3e4f-5a6b-7c8d9e0f1a2b","eventID":)"
    R"("0d1e2f3a-4b5c-6d7e-8f9a-0b1c2d3e4f5a","readOnly":false,"eventType":"AwsApiCall",)"
    R"("managementEvent":true,"recipientAccountId":"123456789012","eventCategory":)"
    R"("Management","tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":)"
    R"("TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"ec2.us-east-1.amazonaws.com"}})";

void BM_ParseRecord(benchmark::State& state) {
  common::StringInterner interner;
  consumers::RecordParser parser(interner);
  for (auto _ : state) {
    common::Result<common::Event> event = parser.Parse(kRecord);
    benchmark::DoNotOptimize(event);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(kRecord.size()));
}
BENCHMARK(BM_ParseRecord);

// Counts the records a message holds, as the Kafka source's handler would receive them.
class CountingHandler final : public consumers::DecodedRecordHandler {
 public:
  void OnRecord(const common::Event& event, std::size_t /*index*/,
                std::string_view /*payload*/) override {
    benchmark::DoNotOptimize(event);
    ++records;
  }
  void OnBadRecord(std::string_view /*reason*/, std::size_t /*index*/,
                   std::string_view /*payload*/) override {}
  std::int64_t records = 0;
};

void BM_DecodeMessage(benchmark::State& state) {
  common::StringInterner interner;
  consumers::MessageDecoder decoder(interner);
  CountingHandler handler;
  for (auto _ : state) decoder.Decode(kRecord, handler);
  if (handler.records != static_cast<std::int64_t>(state.iterations())) {
    state.SkipWithError("a message did not decode to one record");
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(kRecord.size()));
}
BENCHMARK(BM_DecodeMessage);

}  // namespace
}  // namespace trailsight::bench
