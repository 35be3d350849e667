"""Adapters and the command line: terminal, Slack, WeCom, the LLM client. The only place that
imports slack_bolt, slack_sdk, wechatpy and openai."""
