"""Pages of the notifications service: unsubscribing, and the local mailbox of `make run`."""
