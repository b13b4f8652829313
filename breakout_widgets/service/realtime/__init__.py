"""Realtime delivery: the WebSocket protocol, connections with bounded queues, the hub."""
