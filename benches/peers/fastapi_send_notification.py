"""FastAPI's first BackgroundTasks example, as its documentation writes it: the peer our three
ports of it are measured against by benches/peers.py. LOG_FILE says where the notifications go."""

import os

from fastapi import BackgroundTasks, FastAPI

LOG_FILE = os.environ.get("LOG_FILE", "log.txt")

app = FastAPI()


def write_notification(email: str, message=""):
    with open(LOG_FILE, mode="a") as email_file:
        content = f"notification for {email}: {message}\n"
        email_file.write(content)


@app.post("/send-notification/{email}")
async def send_notification(email: str, background_tasks: BackgroundTasks):
    background_tasks.add_task(write_notification, email, message="some notification")
    return {"message": "Notification sent in the background"}
