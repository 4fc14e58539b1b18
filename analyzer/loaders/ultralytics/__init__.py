"""Ultralytics YOLO model YAMLs (``yolov8.yaml``, ``yolo11.yaml``, ``yolo26.yaml`` and variants)."""

from __future__ import annotations

from .loader import load, scale_from_name, unified_path

__all__ = ["load", "scale_from_name", "unified_path"]
