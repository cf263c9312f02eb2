printf ok > /workspace/done.txt && cat /workspace/done.txt
